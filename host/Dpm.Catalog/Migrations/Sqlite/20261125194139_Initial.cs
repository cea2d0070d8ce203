using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dpm.Catalog.Migrations.Sqlite
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
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Type = table.Column<string>(type: "TEXT", nullable: false),
                    Severity = table.Column<string>(type: "TEXT", nullable: false),
                    Subject = table.Column<string>(type: "TEXT", nullable: false),
                    Message = table.Column<string>(type: "TEXT", nullable: false),
                    IsActive = table.Column<bool>(type: "INTEGER", nullable: false),
                    RaisedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastSeenAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Occurrences = table.Column<int>(type: "INTEGER", nullable: false),
                    ResolvedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Resolution = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Alerts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Computers",
                columns: table => new
                {
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    AttachedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    AgentVersion = table.Column<string>(type: "TEXT", nullable: true),
                    LastHeartbeat = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Computers", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "Jobs",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Type = table.Column<string>(type: "TEXT", nullable: false),
                    State = table.Column<string>(type: "TEXT", nullable: false),
                    DataSourceId = table.Column<string>(type: "TEXT", nullable: true),
                    ProtectionGroupId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Server = table.Column<string>(type: "TEXT", nullable: true),
                    Attempt = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    EndedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    BytesDone = table.Column<long>(type: "INTEGER", nullable: false),
                    BytesTotal = table.Column<long>(type: "INTEGER", nullable: true),
                    ItemsDone = table.Column<long>(type: "INTEGER", nullable: false),
                    CurrentItem = table.Column<string>(type: "TEXT", nullable: true),
                    Error = table.Column<string>(type: "TEXT", nullable: true),
                    CancelRequested = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Jobs", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "LicenceConsumption",
                columns: table => new
                {
                    ComputerName = table.Column<string>(type: "TEXT", nullable: false),
                    Tier = table.Column<string>(type: "TEXT", nullable: false),
                    Since = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LicenceConsumption", x => new { x.ComputerName, x.Tier });
                });

            migrationBuilder.CreateTable(
                name: "ProtectionGroups",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    Policy_RetentionDays = table.Column<int>(type: "INTEGER", nullable: false),
                    Policy_SynchronizationMinutes = table.Column<int>(type: "INTEGER", nullable: true),
                    Policy_RecoveryPointTimes = table.Column<string>(type: "TEXT", nullable: false),
                    Policy_MaxFileRecoveryPoints = table.Column<int>(type: "INTEGER", nullable: false),
                    Policy_MaxExpressFulls = table.Column<int>(type: "INTEGER", nullable: false),
                    Policy_MaxIncrementals = table.Column<int>(type: "INTEGER", nullable: false),
                    Policy_ConsistencyCheckWindowStart = table.Column<int>(type: "INTEGER", nullable: true),
                    Policy_ConsistencyCheckWindowMinutes = table.Column<int>(type: "INTEGER", nullable: false),
                    Policy_CheckWhenInconsistent = table.Column<bool>(type: "INTEGER", nullable: false),
                    Policy_CompressOnTheWire = table.Column<bool>(type: "INTEGER", nullable: false),
                    Policy_SlaHours = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ProtectionGroups", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DataSources",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", nullable: false),
                    ComputerName = table.Column<string>(type: "TEXT", nullable: false),
                    PluginId = table.Column<string>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", nullable: false),
                    Location = table.Column<string>(type: "TEXT", nullable: true),
                    ProtectionGroupId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Replica = table.Column<int>(type: "INTEGER", nullable: false),
                    InconsistentSince = table.Column<long>(type: "INTEGER", nullable: true),
                    InconsistentReason = table.Column<string>(type: "TEXT", nullable: true)
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
                    Id = table.Column<string>(type: "TEXT", nullable: false),
                    DataSourceId = table.Column<string>(type: "TEXT", nullable: false),
                    ComputerName = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", nullable: false),
                    Consistency = table.Column<string>(type: "TEXT", nullable: false),
                    Items = table.Column<long>(type: "INTEGER", nullable: false),
                    Bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    StoredBytes = table.Column<long>(type: "INTEGER", nullable: false)
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
                    Location = table.Column<int>(type: "INTEGER", nullable: false),
                    Target = table.Column<string>(type: "TEXT", nullable: false),
                    RecoveryPointId = table.Column<string>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: true)
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
                filter: "\"IsActive\" = 1");

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
