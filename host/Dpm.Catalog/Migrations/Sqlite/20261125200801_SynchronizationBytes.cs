using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dpm.Catalog.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SynchronizationBytes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "BytesRead",
                table: "RecoveryPoints",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "NewBytes",
                table: "RecoveryPoints",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "BytesRead",
                table: "RecoveryPoints");

            migrationBuilder.DropColumn(
                name: "NewBytes",
                table: "RecoveryPoints");
        }
    }
}
