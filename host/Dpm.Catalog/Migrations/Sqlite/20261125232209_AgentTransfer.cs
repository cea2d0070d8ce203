using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dpm.Catalog.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AgentTransfer : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "AgentPlugins",
                table: "Computers",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ThrottleNonWorkHoursRate",
                table: "Computers",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "ThrottleWorkHoursRate",
                table: "Computers",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<int>(
                name: "WorkDays",
                table: "Computers",
                type: "INTEGER",
                nullable: false,
                defaultValue: 62);

            migrationBuilder.AddColumn<int>(
                name: "WorkEndMinute",
                table: "Computers",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1020);

            migrationBuilder.AddColumn<int>(
                name: "WorkStartMinute",
                table: "Computers",
                type: "INTEGER",
                nullable: false,
                defaultValue: 540);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "AgentPlugins",
                table: "Computers");

            migrationBuilder.DropColumn(
                name: "ThrottleNonWorkHoursRate",
                table: "Computers");

            migrationBuilder.DropColumn(
                name: "ThrottleWorkHoursRate",
                table: "Computers");

            migrationBuilder.DropColumn(
                name: "WorkDays",
                table: "Computers");

            migrationBuilder.DropColumn(
                name: "WorkEndMinute",
                table: "Computers");

            migrationBuilder.DropColumn(
                name: "WorkStartMinute",
                table: "Computers");
        }
    }
}
