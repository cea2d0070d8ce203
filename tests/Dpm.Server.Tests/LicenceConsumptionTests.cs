using System.Text.Json;
using Dpm.Catalog;
using Dpm.Contracts;
using Dpm.Core.Hosting;
using Dpm.Core.Licensing;
using Dpm.Management;
using Dpm.Server.Licensing;
using Dpm.Server.Protection;
using Dpm.Tests;
using LicenceConsumption = Dpm.Management.LicenceConsumption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dpm.Server.Tests;

/// <summary>Which computer holds which licence lives in the server's catalog, and an earlier consumption file is taken over once.</summary>
public sealed class LicenceConsumptionTests
{
    private static DpmManagementClient Client(RunningServer server) => new(new HttpClient { BaseAddress = new Uri(server.Url) });

    private static string CatalogFile(RunningServer server) => $"Data Source={Path.Combine(server.DataDirectory, "catalog.db")};Pooling=False";

    private static async Task<List<(string, string)>> RowsAsync(string connectionString)
    {
        await using var catalog = Catalogs.Create(CatalogProvider.Sqlite, connectionString);
        return [.. (await catalog.LicenceConsumption.ToListAsync()).Select(r => (r.ComputerName, r.Tier)).Order()];
    }

    [Fact]
    public async Task Consume_HeldLicencesAreCatalogRows_KeptAcrossARestart_AndGivenBack()
    {
        await using var server = await RunningServer.StartAsync();
        Assert.True(server.Licences.Consume("fs1", LicenceTier.Standard).Granted);
        Assert.True(server.Licences.Consume("sql1", LicenceTier.Enterprise).Granted);
        Assert.True(server.Licences.Consume("fs1", LicenceTier.Enterprise).Granted); // fs1 now needs the higher tier

        Assert.Equal([("fs1", "Enterprise"), ("sql1", "Enterprise")], await RowsAsync(CatalogFile(server)));
        await server.RestartAsync();
        var state = (await Client(server).GetLicencesAsync(CancellationToken.None)).Value!;
        Assert.Equal([("fs1", LicenceTier.Enterprise), ("sql1", LicenceTier.Enterprise)], state.Consumptions.Select(c => (c.Computer, c.Tier)).Order());
        Assert.True(server.Licences.Release("sql1"));
        Assert.Equal([("fs1", "Enterprise")], await RowsAsync(CatalogFile(server)));
        Assert.False(File.Exists(Path.Combine(server.DataDirectory, "licences", CatalogConsumptionStore.LegacyFile)));
    }

    [Fact]
    public async Task Start_ConsumptionFileOfAnEarlierVersion_TakenOverOnce_AndRenamed()
    {
        await using var server = await RunningServer.StartAsync();
        var file = Path.Combine(server.DataDirectory, "licences", CatalogConsumptionStore.LegacyFile);
        var since = new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);
        List<LicenceConsumption> old = [new("fs1", LicenceTier.Standard, since), new("fs2", LicenceTier.Client, since)];

        await server.RestartAsync(() => File.WriteAllText(file, JsonSerializer.Serialize(old, ManagementJson.Options)));
        var imported = (await Client(server).GetLicencesAsync(CancellationToken.None)).Value!.Consumptions;

        Assert.Equal(old, imported.OrderBy(c => c.Computer, StringComparer.Ordinal));
        Assert.False(File.Exists(file));
        Assert.True(File.Exists(file + ".imported"));

        // A consumption file found when the catalog already holds consumption is not taken over.
        List<LicenceConsumption> stale = [new("fs9", LicenceTier.Enterprise, since)];
        await server.RestartAsync(() => File.WriteAllText(file, JsonSerializer.Serialize(stale, ManagementJson.Options)));
        Assert.Equal(old, (await Client(server).GetLicencesAsync(CancellationToken.None)).Value!.Consumptions.OrderBy(c => c.Computer, StringComparer.Ordinal));
        Assert.True(File.Exists(file));
        Assert.Equal([("fs1", "Standard"), ("fs2", "Client")], await RowsAsync(CatalogFile(server)));
    }

    [Fact]
    public async Task Save_TwoServersSharingACatalog_EachWritesOnlyItsOwnChanges()
    {
        var folder = Directory.CreateTempSubdirectory("dpm-consumption-").FullName;
        try
        {
            var connection = $"Data Source={Path.Combine(folder, "catalog.db")};Pooling=False";
            var first = Store(folder, connection, "dpm1");
            var second = Store(folder, connection, "dpm2");
            Assert.Empty(first.Load());
            Assert.Empty(second.Load());
            var now = DateTimeOffset.UtcNow;

            first.Save([new("fs1", LicenceTier.Standard, now)]);
            second.Save([new("fs2", LicenceTier.Client, now)]); // knows nothing of fs1
            first.Save([]); // fs1 given back

            Assert.Equal([("fs2", "Client")], await RowsAsync(connection));
            Assert.Equal([("fs2", LicenceTier.Client)], Store(folder, connection, "dpm3").Load().Select(c => (c.Computer, c.Tier)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static CatalogConsumptionStore Store(string folder, string connectionString, string server) =>
        new(
            new CatalogHost(
                Options.Create(new CatalogOptions { ConnectionString = connectionString }),
                Options.Create(new DpmHostOptions { DataDirectory = folder, ComputerName = server }),
                new ProtectedComputer(server, "Linux"),
                TimeProvider.System,
                NullLogger<CatalogHost>.Instance),
            Options.Create(new LicensingOptions { Directory = Path.Combine(folder, "licences") }),
            NullLogger<CatalogConsumptionStore>.Instance);
}
