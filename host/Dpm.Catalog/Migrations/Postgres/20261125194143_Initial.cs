using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dpm.Catalog.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Alerts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Type = table.Column<string>(type: "text", nullable: false),
                    Severity = table.Column<string>(type: "text", nullable: false),
                    Subject = table.Column<string>(type: "text", nullable: false),
                    Message = table.Column<string>(type: "text", nullable: false),
                    IsActive = table.Column<bool>(type: "boolean", nullable: false),
                    RaisedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    LastSeenAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Occurrences = table.Column<int>(type: "integer", nullable: false),
                    ResolvedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Resolution = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Alerts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Computers",
                columns: table => new
                {
                    Name = table.Column<string>(type: "text", nullable: false),
                    AttachedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    AgentVersion = table.Column<string>(type: "text", nullable: true),
                    LastHeartbeat = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Computers", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "Jobs",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Type = table.Column<string>(type: "text", nullable: false),
                    State = table.Column<string>(type: "text", nullable: false),
                    DataSourceId = table.Column<string>(type: "text", nullable: true),
                    ProtectionGroupId = table.Column<Guid>(type: "uuid", nullable: true),
                    Server = table.Column<string>(type: "text", nullable: true),
                    Attempt = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    EndedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    BytesDone = table.Column<long>(type: "bigint", nullable: false),
                    BytesTotal = table.Column<long>(type: "bigint", nullable: true),
                    ItemsDone = table.Column<long>(type: "bigint", nullable: false),
                    CurrentItem = table.Column<string>(type: "text", nullable: true),
                    Error = table.Column<string>(type: "text", nullable: true),
                    CancelRequested = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Jobs", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "LicenceConsumption",
                columns: table => new
                {
                    ComputerName = table.Column<string>(type: "text", nullable: false),
                    Tier = table.Column<string>(type: "text", nullable: false),
                    Since = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LicenceConsumption", x => new { x.ComputerName, x.Tier });
                });

            migrationBuilder.CreateTable(
                name: "ProtectionGroups",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "text", nullable: false),
                    Policy_RetentionDays = table.Column<int>(type: "integer", nullable: false),
                    Policy_SynchronizationMinutes = table.Column<int>(type: "integer", nullable: true),
                    Policy_RecoveryPointTimes = table.Column<List<string>>(type: "text[]", nullable: false),
                    Policy_MaxFileRecoveryPoints = table.Column<int>(type: "integer", nullable: false),
                    Policy_MaxExpressFulls = table.Column<int>(type: "integer", nullable: false),
                    Policy_MaxIncrementals = table.Column<int>(type: "integer", nullable: false),
                    Policy_ConsistencyCheckWindowStart = table.Column<int>(type: "integer", nullable: true),
                    Policy_ConsistencyCheckWindowMinutes = table.Column<int>(type: "integer", nullable: false),
                    Policy_CheckWhenInconsistent = table.Column<bool>(type: "boolean", nullable: false),
                    Policy_CompressOnTheWire = table.Column<bool>(type: "boolean", nullable: false),
                    Policy_SlaHours = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ProtectionGroups", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DataSources",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    ComputerName = table.Column<string>(type: "text", nullable: false),
                    PluginId = table.Column<string>(type: "text", nullable: false),
                    Name = table.Column<string>(type: "text", nullable: false),
                    Kind = table.Column<string>(type: "text", nullable: false),
                    Location = table.Column<string>(type: "text", nullable: true),
                    ProtectionGroupId = table.Column<Guid>(type: "uuid", nullable: true),
                    Replica = table.Column<int>(type: "integer", nullable: false),
                    InconsistentSince = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    InconsistentReason = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DataSources", x => new { x.ComputerName, x.Id });
                    table.ForeignKey(
                        name: "FK_DataSources_Computers_ComputerName",
                        column: x => x.ComputerName,
                        principalTable: "Computers",
                        principalColumn: "Name",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_DataSources_ProtectionGroups_ProtectionGroupId",
                        column: x => x.ProtectionGroupId,
                        principalTable: "ProtectionGroups",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "RecoveryPoints",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    DataSourceId = table.Column<string>(type: "text", nullable: false),
                    ComputerName = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Kind = table.Column<string>(type: "text", nullable: false),
                    Consistency = table.Column<string>(type: "text", nullable: false),
                    Items = table.Column<long>(type: "bigint", nullable: false),
                    Bytes = table.Column<long>(type: "bigint", nullable: false),
                    StoredBytes = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RecoveryPoints", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RecoveryPoints_DataSources_ComputerName_DataSourceId",
                        columns: x => new { x.ComputerName, x.DataSourceId },
                        principalTable: "DataSources",
                        principalColumns: new[] { "ComputerName", "Id" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "RecoveryPointCopy",
                columns: table => new
                {
                    Location = table.Column<int>(type: "integer", nullable: false),
                    Target = table.Column<string>(type: "text", nullable: false),
                    RecoveryPointId = table.Column<string>(type: "text", nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RecoveryPointCopy", x => new { x.RecoveryPointId, x.Location, x.Target });
                    table.ForeignKey(
                        name: "FK_RecoveryPointCopy_RecoveryPoints_RecoveryPointId",
                        column: x => x.RecoveryPointId,
                        principalTable: "RecoveryPoints",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_Type_Subject",
                table: "Alerts",
                columns: new[] { "Type", "Subject" },
                unique: true,
                filter: "\"IsActive\"");

            migrationBuilder.CreateIndex(
                name: "IX_DataSources_ProtectionGroupId",
                table: "DataSources",
                column: "ProtectionGroupId");

            migrationBuilder.CreateIndex(
                name: "IX_Jobs_State_CreatedAt",
                table: "Jobs",
                columns: new[] { "State", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ProtectionGroups_Name",
                table: "ProtectionGroups",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_RecoveryPoints_ComputerName_DataSourceId_CreatedAt",
                table: "RecoveryPoints",
                columns: new[] { "ComputerName", "DataSourceId", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Alerts");

            migrationBuilder.DropTable(
                name: "Jobs");

            migrationBuilder.DropTable(
                name: "LicenceConsumption");

            migrationBuilder.DropTable(
                name: "RecoveryPointCopy");

            migrationBuilder.DropTable(
                name: "RecoveryPoints");

            migrationBuilder.DropTable(
                name: "DataSources");

            migrationBuilder.DropTable(
                name: "Computers");

            migrationBuilder.DropTable(
                name: "ProtectionGroups");
        }
    }
}
