using Dpm.Contracts.Workloads;
using Dpm.Management;
using Dpm.Tests;

namespace Dpm.Server.Tests;

/// <summary>
/// The long-term copy of the pool, and disaster recovery from it: a server copies its recovery points there,
/// then loses its pool and its catalog; a new server with nothing but the key file and the copy's settings
/// rebuilds its catalog from the copy and recovers the data exactly.
/// </summary>
public sealed class DisasterRecoveryTests
{
    public static TheoryData<string> Targets => ["disk", "azure", "s3"];

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task CloudCopy_ThenPoolAndCatalogLost_ANewServerRecoversFromTheCopyAlone(string target)
    {
        await using var copyTarget = await CopyTarget.StartAsync(target);
        var keep = Directory.CreateTempSubdirectory("dpm-dr-").FullName;
        try
        {
            string data, firstId;
            await using (var server = await RunningServer.StartAsync(settings: [RunningServer.Unscheduled, .. copyTarget.Settings("CloudCopy")], "Dpm.Storage.Disk", "Dpm.Workloads.Files", "Dpm.Storage.Cloud"))
            {
                var client = new DpmManagementClient(new HttpClient { BaseAddress = new Uri(server.Url) });
                data = Directory.CreateDirectory(Path.Combine(keep, "ledgers")).FullName;
                File.WriteAllText(Path.Combine(data, "2026.csv"), "jan,100\nfeb,200\n");
                File.WriteAllBytes(Path.Combine(data, "scan.pdf"), RandomBytes(3 << 20));
                var request = new SynchronizationRequestDto { DataSourceId = "folder:" + data };
                firstId = (await client.SynchronizeAsync(request, CancellationToken.None)).Value!.RecoveryPoint.Id;
                File.WriteAllText(Path.Combine(data, "2026.csv"), "jan,100\nfeb,200\nmar,300\n");
                Assert.Null((await client.SynchronizeAsync(request, CancellationToken.None)).Problem);

                var copied = await client.CopyToCloudAsync(CancellationToken.None);
                var again = await client.CopyToCloudAsync(CancellationToken.None);

                Assert.Null(copied.Problem);
                Assert.Equal(2, copied.Value!.RecoveryPointsCopied);
                Assert.True(copied.Value.BytesCopied > 3 << 20);
                Assert.Equal(0, copied.Value.ObjectsLocked); // neither a folder nor the emulators can lock: the copy goes on unlocked
                Assert.Equal((0, 0), (again.Value!.RecoveryPointsCopied, again.Value.ObjectsCopied));
                File.Copy(Path.Combine(server.DataDirectory, "pool.key"), Path.Combine(keep, "pool.key"));
            } // the server and its whole data directory (pool, catalog) are gone

            await using var rebuilt = await RunningServer.StartAsync(
                settings: [RunningServer.Unscheduled, .. copyTarget.Settings("Pool"), $"--Dpm:Pool:KeyFile={Path.Combine(keep, "pool.key")}"], "Dpm.Storage.Disk", "Dpm.Workloads.Files", "Dpm.Storage.Cloud");
            var fresh = new DpmManagementClient(new HttpClient { BaseAddress = new Uri(rebuilt.Url) });
            Assert.Empty((await fresh.GetRecoveryPointsAsync(null, CancellationToken.None)).Value!);
            var rebuild = await fresh.RebuildCatalogAsync(CancellationToken.None);
            Assert.Equal(2, rebuild.Value!.RecoveryPoints);
            var points = (await fresh.GetRecoveryPointsAsync("folder:" + data, CancellationToken.None)).Value!;
            Assert.Equal(2, points.Count);

            var recovered = await fresh.RecoverAsync(
                new RecoveryRequestDto { RecoveryPointId = firstId, Destination = RecoveryDestination.AlternateLocation, Path = Path.Combine(keep, "recovered") }, CancellationToken.None);
            Assert.Null(recovered.Problem);
            Assert.Equal("jan,100\nfeb,200\n", File.ReadAllText(Path.Combine(keep, "recovered", "2026.csv")));
            Assert.Equal(File.ReadAllBytes(Path.Combine(data, "scan.pdf")), File.ReadAllBytes(Path.Combine(keep, "recovered", "scan.pdf")));
            var verify = (await fresh.VerifyPoolAsync(1.0, CancellationToken.None)).Value!;
            Assert.Equal((2, 0), (verify.RecoveryPoints, verify.Damaged.Count));
        }
        finally
        {
            Directory.Delete(keep, recursive: true);
        }
    }

    [Fact]
    public async Task CloudCopy_OnlyTheNamedGroupsPointsGo()
    {
        await using var copyTarget = await CopyTarget.StartAsync("disk");
        await using var server = await RunningServer.StartAsync(
            settings: [RunningServer.Unscheduled, .. copyTarget.Settings("CloudCopy"), "--Dpm:CloudCopy:Groups:0=Finance", "--Dpm:CloudCopy:RetentionDays=365"], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var client = new DpmManagementClient(new HttpClient { BaseAddress = new Uri(server.Url) });
        var ids = new Dictionary<string, string>();
        foreach (var group in new[] { "Finance", "Scratch" })
        {
            var data = Directory.CreateDirectory(Path.Combine(server.Root, group)).FullName;
            File.WriteAllText(Path.Combine(data, "file.txt"), group);
            Assert.Null((await client.CreateProtectionGroupAsync(
                new NewProtectionGroupDto { Name = group, Policy = new ProtectionPolicyDto { SynchronizationMinutes = null, RecoveryPointTimes = ["Daily 03:00"] } }, CancellationToken.None)).Problem);
            Assert.Null((await client.AddToProtectionGroupAsync(group, new GroupMemberDto { DataSourceId = "folder:" + data }, CancellationToken.None)).Problem);
            ids[group] = (await client.SynchronizeAsync(new SynchronizationRequestDto { DataSourceId = "folder:" + data }, CancellationToken.None)).Value!.RecoveryPoint.Id;
        }

        var copied = (await client.CopyToCloudAsync(CancellationToken.None)).Value!;

        Assert.Equal(1, copied.RecoveryPointsCopied);
        var manifests = Directory.EnumerateFiles(Path.Combine(copyTarget.Folder, "manifests"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Equal([ids["Finance"]], manifests);
    }

    public static TheoryData<string> Clouds => ["azure", "s3"];

    [Theory]
    [MemberData(nameof(Clouds))]
    public async Task PoolInTheCloud_ProtectChangeExpressFull_BothPointsRecoverExactly(string cloud)
    {
        await using var copyTarget = await CopyTarget.StartAsync(cloud);
        await using var server = await RunningServer.StartAsync(settings: [RunningServer.Unscheduled, .. copyTarget.Settings("Pool")], "Dpm.Storage.Disk", "Dpm.Workloads.Files", "Dpm.Storage.Cloud");
        var client = new DpmManagementClient(new HttpClient { BaseAddress = new Uri(server.Url) });
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "projects")).FullName;
        var model = RandomBytes(5 << 20);
        File.WriteAllBytes(Path.Combine(data, "model.bin"), model);
        File.WriteAllText(Path.Combine(data, "notes.txt"), "draft");
        var request = new SynchronizationRequestDto { DataSourceId = "folder:" + data };

        var replica = (await client.SynchronizeAsync(request, CancellationToken.None)).Value!;
        model.AsSpan(1 << 20, 4096).Fill(7); // a change inside the large file
        File.WriteAllBytes(Path.Combine(data, "model.bin"), model);
        File.WriteAllText(Path.Combine(data, "notes.txt"), "final");
        var full = (await client.SynchronizeAsync(request, CancellationToken.None)).Value!;

        Assert.StartsWith(cloud == "azure" ? "azure:" : "s3:", (await client.GetPoolAsync(CancellationToken.None)).Value!.Location, StringComparison.Ordinal);
        Assert.True(full.RecoveryPoint.NewBytes < model.Length / 2, $"the express full added {full.RecoveryPoint.NewBytes} bytes for a 4 KiB change");
        foreach (var (point, notes) in new[] { (replica.RecoveryPoint.Id, "draft"), (full.RecoveryPoint.Id, "final") })
        {
            var target = Path.Combine(server.Root, "recovered-" + notes);
            Assert.Null((await client.RecoverAsync(new RecoveryRequestDto { RecoveryPointId = point, Destination = RecoveryDestination.AlternateLocation, Path = target }, CancellationToken.None)).Problem);
            Assert.Equal(notes, File.ReadAllText(Path.Combine(target, "notes.txt")));
        }

        Assert.Equal(model, File.ReadAllBytes(Path.Combine(server.Root, "recovered-final", "model.bin")));
        var verify = (await client.VerifyPoolAsync(1.0, CancellationToken.None)).Value!;
        Assert.Equal((2, 0, 0), (verify.RecoveryPoints, verify.Damaged.Count, verify.Problems.Count));
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Where the copy goes: a folder on another disk, or a real Azurite or s3rver.</summary>
    private sealed class CopyTarget : IAsyncDisposable
    {
        private readonly string _kind;
        private readonly string _folder = Directory.CreateTempSubdirectory("dpm-copy-").FullName;
        private CloudEmulator? _emulator;

        private CopyTarget(string kind) => _kind = kind;

        public string Folder => _folder;

        public static async Task<CopyTarget> StartAsync(string kind)
        {
            var target = new CopyTarget(kind);
            target._emulator = kind switch
            {
                "azure" => await CloudEmulator.StartAzuriteAsync(),
                "s3" => await CloudEmulator.StartS3rverAsync(),
                _ => null,
            };
            return target;
        }

        /// <summary>The settings that put a pool (<c>Pool</c>) or the copy (<c>CloudCopy</c>) there.</summary>
        public string[] Settings(string section) => _kind switch
        {
            "azure" =>
            [
                $"--Dpm:{section}:Plugin=Dpm.Storage.Cloud", $"--Dpm:{section}:Settings:Provider=AzureBlob", $"--Dpm:{section}:Settings:Container=dpm-copy",
                $"--Dpm:{section}:Settings:ConnectionString={_emulator!.AzureConnectionString}",
            ],
            "s3" =>
            [
                $"--Dpm:{section}:Plugin=Dpm.Storage.Cloud", $"--Dpm:{section}:Settings:Provider=S3", $"--Dpm:{section}:Settings:Container=dpm-copy",
                $"--Dpm:{section}:Settings:ServiceUrl={_emulator!.S3Url}", $"--Dpm:{section}:Settings:AccessKey=S3RVER", $"--Dpm:{section}:Settings:SecretKey=any-secret",
            ],
            _ => section == "Pool" ? ["--Dpm:Pool:Plugin=Dpm.Storage.Disk", $"--Dpm:Pool:Path={_folder}"] : [$"--Dpm:{section}:Plugin=Dpm.Storage.Disk", $"--Dpm:{section}:Settings:Path={_folder}"],
        };

        public async ValueTask DisposeAsync()
        {
            if (_emulator is not null)
            {
                await _emulator.DisposeAsync();
            }

            Directory.Delete(_folder, recursive: true);
        }
    }
}
