using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dpm.Catalog.Migrations.Postgres
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
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "RevokedAt",
                table: "Computers",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AttachTokens",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    ComputerName = table.Column<string>(type: "text", nullable: false),
                    SecretHash = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UsedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
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
