using System.Diagnostics;
using System.Security.Cryptography;
using Dpm.Contracts;
using Dpm.Storage;
using Dpm.Storage.Crypto;
using Dpm.Storage.Disk;
using Dpm.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dpm.PoolTool.Tests;

/// <summary>
/// Real dpm-pool processes killed with SIGKILL at random moments during backup and during garbage collection,
/// many times. After each kill the pool verifies clean and every recovery point committed so far restores
/// byte-identical to the data it was taken from.
/// </summary>
public sealed class CrashTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dpm-crash-").FullName;
    private readonly Random _random = new(20261125);
    private readonly Dictionary<string, Dictionary<string, string>> _expected = [];

    private string Source => Path.Combine(_root, "source");

    private string PoolFolder => Path.Combine(_root, "pool");

    private string KeyFile => Path.Combine(_root, "pool.key");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task KilledDuringBackupAndGc_PoolStaysConsistentAndEveryCommittedPointRestores()
    {
        MakeSource();
        Assert.Equal(0, (await Tool("init", "--pool", PoolFolder, "--key-file", KeyFile)).ExitCode);
        // Every third backup runs to the end (and tells how long a backup takes); the others are killed at a
        // random moment within that time. Rounds go on until at least 6 were killed and 4 finished.
        var kills = 0;
        var finished = 0;
        var lastDuration = TimeSpan.FromSeconds(2);
        for (var round = 0; round < 40 && (kills < 6 || finished < 4); round++)
        {
            ChangeSource(round);
            var state = HashTree(Source);
            var before = await CommittedAsync();
            var letFinish = round % 3 == 0;
            var killAfter = letFinish ? TimeSpan.FromMinutes(5) : lastDuration * (0.1 + (0.85 * _random.NextDouble()));
            var clock = Stopwatch.StartNew();
            var (exited, output) = await RunAndMaybeKillAsync(killAfter, "backup", "--pool", PoolFolder, "--key-file", KeyFile, "--name", "data", Source);
            if (letFinish)
            {
                lastDuration = clock.Elapsed;
            }

            kills += exited ? 0 : 1;
            finished += exited ? 1 : 0;
            var after = await CommittedAsync();
            var added = after.Except(before).ToList();
            Assert.True(added.Count <= 1, "one backup made more than one recovery point");
            if (exited)
            {
                Assert.Single(added);
                Assert.Contains(added[0], output, StringComparison.Ordinal);
            }

            foreach (var id in added)
            {
                _expected[id] = state;
            }

            await CheckPoolAsync($"after backup round {round} ({(exited ? "finished" : "killed")})");
        }

        Assert.True(kills >= 6 && finished >= 4, $"{kills} backups killed and {finished} finished: the test proves too little");

        // The killed writers are dead: their leases would hold garbage collection back for ten minutes.
        foreach (var lease in Directory.EnumerateFiles(Path.Combine(PoolFolder, "leases")))
        {
            File.Delete(lease);
        }

        var gcKills = 0;
        for (var round = 0; round < 8; round++)
        {
            var committed = await CommittedAsync();
            if (committed.Count > 3)
            {
                Assert.Equal(0, (await Tool("prune", "--pool", PoolFolder, "--key-file", KeyFile, "--keep-last", $"{committed.Count - 1}")).ExitCode);
                foreach (var removed in committed.Except(await CommittedAsync()))
                {
                    _expected.Remove(removed);
                }
            }

            var (gcExited, _) = await RunAndMaybeKillAsync(TimeSpan.FromMilliseconds(_random.Next(200, 1200)), "gc", "--pool", PoolFolder, "--key-file", KeyFile, "--grace", "0");
            gcKills += gcExited ? 0 : 1;
            await CheckPoolAsync($"after garbage collection round {round}");
        }

        output.WriteLine($"backups killed: {kills}, finished: {finished}; garbage collections killed: {gcKills} of 8; recovery points left: {_expected.Count}");
    }

    private async Task CheckPoolAsync(string when)
    {
        using var pool = await OpenPoolAsync();
        var report = await pool.VerifyAsync(new VerifyOptions(), null, CancellationToken.None);
        Assert.True(report.Damaged.Count == 0, $"{when}: damaged {string.Join("; ", report.Damaged.SelectMany(d => d.Reasons))}");
        Assert.True(report.Problems.Count == 0, $"{when}: {string.Join("; ", report.Problems)}");
        var committed = await CommittedAsync(pool);
        Assert.Equal(_expected.Keys.Order(StringComparer.Ordinal), committed);
        foreach (var (id, tree) in _expected)
        {
            var reader = (await pool.OpenRecoveryPointAsync(id, CancellationToken.None))!;
            var restored = new Dictionary<string, string>();
            await foreach (var item in reader.EnumerateItemsAsync("", CancellationToken.None))
            {
                if (item.Kind == Contracts.Workloads.ProtectedItemKind.File)
                {
                    await using var stream = (await reader.OpenItemAsync(item.Path, CancellationToken.None))!;
                    restored[item.Path] = Convert.ToHexString(await SHA256.HashDataAsync(stream));
                }
            }

            Assert.True(tree.Count == restored.Count && tree.All(t => restored.GetValueOrDefault(t.Key) == t.Value), $"{when}: recovery point {id} does not restore its data");
        }
    }

    private async Task<List<string>> CommittedAsync(StoragePool? open = null)
    {
        using var pool = open is null ? await OpenPoolAsync() : null;
        return [.. (await (open ?? pool!).ListRecoveryPointIdsAsync(CancellationToken.None)).Select(p => p.RecoveryPointId)];
    }

    private async Task<StoragePool> OpenPoolAsync()
    {
        var plugin = new DiskStoragePlugin();
        await plugin.InitializeAsync(new Context(), CancellationToken.None);
        var store = await plugin.OpenStoreAsync(new ConfigurationBuilder().AddInMemoryCollection([new("Path", PoolFolder)]).Build(), CancellationToken.None);
        return await StoragePool.OpenAsync(store, PoolCredentials.FromKeyFile(File.ReadAllText(KeyFile)), CancellationToken.None);
    }

    private static Task<ProcessRunner.Result> Tool(params string[] args) => ProcessRunner.RunAsync("dpm-pool.dll", null, args);

    /// <summary>Runs dpm-pool and kills it with SIGKILL after <paramref name="after"/> unless it finished first.</summary>
    private static async Task<(bool Exited, string Output)> RunAndMaybeKillAsync(TimeSpan after, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dpm-pool.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        var exited = process.WaitForExit(after);
        if (!exited)
        {
            process.Kill(entireProcessTree: true); // SIGKILL
        }

        await process.WaitForExitAsync();
        if (exited && process.ExitCode != 0)
        {
            Assert.Fail($"dpm-pool {string.Join(' ', args)} failed ({process.ExitCode}): {await error}");
        }

        return (exited, await output);
    }

    private void MakeSource()
    {
        for (var i = 0; i < 40; i++)
        {
            WriteFile($"dir{i % 5}/small-{i}.txt", _random.Next(100, 60_000));
        }

        for (var i = 0; i < 6; i++)
        {
            WriteFile($"big/file-{i}.bin", _random.Next(3 << 20, 8 << 20));
        }
    }

    private void ChangeSource(int round)
    {
        WriteFile($"new/round-{round}.bin", _random.Next(8 << 20, 16 << 20));
        var big = Path.Combine(Source, "big", $"file-{round % 6}.bin");
        using (var stream = new FileStream(big, FileMode.Open, FileAccess.Write))
        {
            stream.Position = _random.Next(0, (int)stream.Length - 70_000);
            stream.Write(RandomBytes(65_536));
        }

        var victim = Path.Combine(Source, $"dir{round % 5}", $"small-{round}.txt");
        if (File.Exists(victim))
        {
            File.Delete(victim);
        }
    }

    private void WriteFile(string path, int length)
    {
        var full = Path.Combine(Source, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, RandomBytes(length));
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    private static Dictionary<string, string> HashTree(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private sealed class Context : IPluginContext
    {
        public PluginManifest Manifest { get; } = new() { Id = "Dpm.Storage.Disk", Name = "Disk", Version = "1.0.0", Kind = PluginKind.Storage, ContractsVersion = "1.0", EntryAssembly = "Dpm.Storage.Disk.dll" };
        public ILoggerFactory LoggerFactory => NullLoggerFactory.Instance;
        public IConfiguration Configuration { get; } = new ConfigurationBuilder().Build();
        public string DataDirectory => Path.GetTempPath();
        public ProtectedComputer Computer { get; } = new("test", "Linux");
        public TimeProvider TimeProvider => TimeProvider.System;
    }
}
