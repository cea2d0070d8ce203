using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dpm.Catalog.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AgentAttach : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CertificateThumbprint",
                table: "Computers",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "RevokedAt",
                table: "Computers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AttachTokens",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", nullable: false),
                    ComputerName = table.Column<string>(type: "TEXT", nullable: false),
                    SecretHash = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UsedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AttachTokens", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AttachTokens_ComputerName",
                table: "AttachTokens",
                column: "ComputerName");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AttachTokens");

            migrationBuilder.DropColumn(
                name: "CertificateThumbprint",
                table: "Computers");

            migrationBuilder.DropColumn(
                name: "RevokedAt",
                table: "Computers");
        }
    }
}
