using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dpm.Contracts.Workloads;
using Dpm.PoolTool;
using Dpm.Protection;
using Dpm.Storage;
using Dpm.Storage.Chunking;
using Dpm.Storage.Crypto;
using Microsoft.Extensions.Logging;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// dpm-pool: exit codes 0 done, 1 failed (the message says why), 2 bad command line.

// The pipeline mixes blocking file reads with CPU-bound workers: start with enough pool threads that
// neither waits for the thread pool to grow.
ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
ThreadPool.SetMinThreads(Math.Max(minWorkers, Environment.ProcessorCount * 4), minIo);
var pool = new Option<DirectoryInfo>("--pool") { Description = "The storage pool folder", Required = true };
var keyFile = new Option<FileInfo?>("--key-file") { Description = "Open the pool with a key file instead of the passphrase in DPM_POOL_PASSPHRASE" };
var json = new Option<bool>("--json") { Description = "Print JSON" };
var name = new Option<string?>("--name") { Description = "The data source's name (default: the source folder's name)" };
var point = new Option<string>("--recovery-point") { Description = "A recovery point id, or 'latest'", DefaultValueFactory = _ => "latest" };

var unencrypted = new Option<bool>("--unencrypted") { Description = "Create the pool without encryption (on purpose)" };
var level = new Option<int>("--compression-level") { Description = "zstd level 1-19 (1: fastest; higher levels store a little less for much more CPU)", DefaultValueFactory = _ => 1 };
var chunkSizes = new Option<string>("--chunk-sizes")
{
    Description = "Content-defined chunk sizes in KiB, MIN/AVERAGE/MAX (the average a power of two)",
    DefaultValueFactory = _ => $"{FastCdcChunker.DefaultMinSize >> 10}/{FastCdcChunker.DefaultAverageSize >> 10}/{FastCdcChunker.DefaultMaxSize >> 10}",
};
var init = new Command("init", "Create a storage pool in an empty folder") { pool, keyFile, unencrypted, level, chunkSizes };
init.SetAction((parse, ct) => Do(async () =>
{
    await using var host = await LocalHost.StartAsync(ct);
    var store = await host.OpenStoreAsync(parse.GetValue(pool)!.FullName, ct);
    var credentials = parse.GetValue(unencrypted) ? PoolCredentials.None : Credentials(parse, create: true);
    var sizes = parse.GetValue(chunkSizes)!.Split('/').Select(size => int.TryParse(size, CultureInfo.InvariantCulture, out var kib) && kib is > 0 and <= 1 << 20 ? kib << 10 : -1).ToArray();
    if (sizes is not [> 0 and var min, > 0 and var average, > 0 and var max])
    {
        throw new ArgumentException($"--chunk-sizes wants MIN/AVERAGE/MAX in KiB, like 128/256/1024 (got '{parse.GetValue(chunkSizes)}')");
    }

    using var created = await StoragePool.CreateAsync(
        store,
        new PoolCreateOptions { Credentials = credentials, CompressionLevel = parse.GetValue(level), ChunkMinSize = min, ChunkAverageSize = average, ChunkMaxSize = max },
        ct);
    Console.WriteLine($"created pool {created.Config.Id} at {store.Location} ({created.Config.Encryption}; chunks {min >> 10}/{average >> 10}/{max >> 10} KiB)");
}));

var source = new Argument<DirectoryInfo>("SOURCE") { Description = "The folder to back up" };
var backup = new Command("backup", "Back up a folder into a new recovery point (an express full after the first)") { pool, keyFile, name, json, source };
backup.SetAction((parse, ct) => Do(async () =>
{
    await using var host = await LocalHost.StartAsync(ct);
    using var opened = await OpenAsync(host, parse, ct);
    var folder = parse.GetValue(source)!;
    if (!folder.Exists)
    {
        throw new ArgumentException($"'{folder.FullName}' is not a folder");
    }

    var dataSource = new DataSource { Id = "folder:" + folder.FullName.TrimEnd('/'), Name = parse.GetValue(name) ?? folder.Name, Kind = "Folder", Location = folder.FullName };
    var previous = await opened.ReadLatestManifestAsync(null, dataSource.Id, ct);
    var engine = new ProtectionEngine(opened, host.Logging.CreateLogger<ProtectionEngine>());
    var result = await engine.SynchronizeAsync(
        host.Files,
        new SynchronizationRequest { PluginId = LocalHost.FilesPlugin, DataSource = dataSource, Computer = Environment.MachineName, Previous = previous },
        null,
        ct);
    var rp = result.RecoveryPoint;
    if (parse.GetValue(json))
    {
        Console.WriteLine(JsonSerializer.Serialize(new { recoveryPoint = rp.Id, rp.Stats, result.ItemsRead, result.ItemsReused, result.ChangedWhileRead, result.Vanished }, JsonOptions.Value));
    }
    else
    {
        Console.WriteLine(rp.Id);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{rp.Stats.Items} items, {rp.Stats.Bytes:N0} bytes; read {rp.Stats.BytesRead:N0}; new {rp.Stats.NewChunks} chunks ({rp.Stats.NewBytes:N0} bytes), stored {rp.Stats.StoredBytes:N0} bytes; files read {result.ItemsRead}, reused {result.ItemsReused}"));
        foreach (var path in result.ChangedWhileRead)
        {
            Console.Error.WriteLine($"changed while read, not recorded: {path}");
        }
    }
}));

var target = new Argument<DirectoryInfo>("TARGET") { Description = "The folder to restore into" };
var restore = new Command("restore", "Restore a recovery point into a folder") { pool, keyFile, point, name, target };
restore.SetAction((parse, ct) => Run(async () =>
{
    await using var host = await LocalHost.StartAsync(ct);
    using var opened = await OpenAsync(host, parse, ct);
    var reader = await FindAsync(opened, parse.GetValue(point)!, parse.GetValue(name), ct);
    var folder = parse.GetValue(target)!;
    folder.Create();
    var result = await host.Files.RecoverAsync(reader, new RecoveryRequest { Target = RecoveryTarget.CopyTo(folder.FullName) }, null, ct);
    Console.Error.WriteLine($"{result.Outcome}: {result.ItemsRecovered} items, {result.BytesRecovered:N0} bytes to {result.RecoveredTo}");
    foreach (var failure in result.Failures)
    {
        Console.Error.WriteLine($"not recovered: {failure.Path}: {failure.Reason}");
    }

    return result.Outcome == RecoveryOutcome.Succeeded ? 0 : 1;
}));

var list = new Command("list", "List the recovery points") { pool, keyFile, name, json };
list.SetAction((parse, ct) => Run(async () =>
{
    await using var host = await LocalHost.StartAsync(ct);
    using var opened = await OpenAsync(host, parse, ct);
    var (manifests, damaged) = await opened.ReadManifestsAsync(ct);
    var shown = manifests.Where(m => parse.GetValue(name) is not { } n || m.DataSourceName == n)
        .Select(m => new { m.Id, m.DataSourceName, m.CreatedAt, m.Consistency, m.Stats.Items, m.Stats.Bytes }).ToList();
    if (parse.GetValue(json))
    {
        Console.WriteLine(JsonSerializer.Serialize(shown, JsonOptions.Value));
    }
    else
    {
        foreach (var m in shown)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m.Id}\t{m.DataSourceName}\t{m.CreatedAt:u}\t{m.Items} items\t{m.Bytes:N0} bytes"));
        }
    }

    foreach (var (objectName, problem) in damaged)
    {
        Console.Error.WriteLine($"damaged: {objectName}: {problem}");
    }

    return damaged.Count == 0 ? 0 : 1;
}));

var fraction = new Option<double>("--fraction") { Description = "Fraction of packs whose data is read (0-1)", DefaultValueFactory = _ => 1.0 };
var verify = new Command("verify", "Re-read the pool and name every damaged recovery point") { pool, keyFile, fraction, json };
verify.SetAction((parse, ct) => Run(async () =>
{
    await using var host = await LocalHost.StartAsync(ct);
    using var opened = await OpenAsync(host, parse, ct);
    var report = await opened.VerifyAsync(new VerifyOptions { Fraction = parse.GetValue(fraction) }, null, ct);
    if (parse.GetValue(json))
    {
        Console.WriteLine(JsonSerializer.Serialize(report, JsonOptions.Value));
    }
    else
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{report.RecoveryPoints} recovery points, {report.PacksChecked} packs, {report.ChunksChecked} chunks, {report.BytesChecked:N0} bytes checked: {(report.IsHealthy ? "healthy" : $"{report.Damaged.Count} recovery points damaged, {report.Problems.Count} other problems")}"));
        foreach (var damaged in report.Damaged)
        {
            Console.WriteLine($"damaged recovery point {damaged.Id} ({damaged.DataSourceName}):");
            foreach (var reason in damaged.Reasons)
            {
                Console.WriteLine($"  {reason}");
            }
        }

        foreach (var problem in report.Problems)
        {
            Console.WriteLine($"problem: {problem}");
        }
    }

    return report.IsHealthy ? 0 : 1;
}));

var grace = new Option<double>("--grace") { Description = "Grace period in seconds (default one hour)", DefaultValueFactory = _ => 3600 };
var gc = new Command("gc", "Collect garbage: condemn unreferenced packs, delete the ones condemned earlier") { pool, keyFile, grace, json };
gc.SetAction((parse, ct) => Run(async () =>
{
    await using var host = await LocalHost.StartAsync(ct);
    using var opened = await OpenAsync(host, parse, ct);
    var report = await opened.CollectGarbageAsync(new GcOptions { GracePeriod = TimeSpan.FromSeconds(parse.GetValue(grace)) }, ct);
    Console.WriteLine(parse.GetValue(json)
        ? JsonSerializer.Serialize(report, JsonOptions.Value)
        : string.Create(CultureInfo.InvariantCulture, $"{report.RecoveryPoints} recovery points; condemned {report.PacksCondemned} packs (repacked {report.PacksRepacked}), deleted {report.PacksDeleted} ({report.BytesFreed:N0} bytes), deferred {report.PacksDeferred}; {report.ActiveWriters} writers running"));
    foreach (var problem in report.Problems)
    {
        Console.Error.WriteLine($"problem: {problem}");
    }

    return report.Problems.Count == 0 ? 0 : 1;
}));

var keepLast = new Option<int>("--keep-last") { Description = "Keep this many newest recovery points per data source", Required = true };
var prune = new Command("prune", "Remove old recovery points (their data goes at the next garbage collections)") { pool, keyFile, keepLast, name };
prune.SetAction((parse, ct) => Do(async () =>
{
    await using var host = await LocalHost.StartAsync(ct);
    using var opened = await OpenAsync(host, parse, ct);
    var (manifests, _) = await opened.ReadManifestsAsync(ct);
    var removed = 0;
    foreach (var group in manifests.Where(m => parse.GetValue(name) is not { } n || m.DataSourceName == n).GroupBy(m => m.DataSourceId))
    {
        foreach (var old in group.OrderByDescending(m => m.Id, StringComparer.Ordinal).Skip(Math.Max(1, parse.GetValue(keepLast))))
        {
            removed += await opened.DeleteRecoveryPointAsync(old.Id, ct) ? 1 : 0;
        }
    }

    Console.WriteLine($"removed {removed} recovery points");
}));

var rebuild = new Command("rebuild-index", "Recreate the chunk index from the packs") { pool, keyFile };
rebuild.SetAction((parse, ct) => Run(async () =>
{
    await using var host = await LocalHost.StartAsync(ct);
    using var opened = await OpenAsync(host, parse, ct);
    var (packs, chunks, problems) = await opened.RebuildIndexAsync(ct);
    Console.WriteLine($"index rebuilt from {packs} packs: {chunks} chunks");
    foreach (var problem in problems)
    {
        Console.Error.WriteLine($"problem: {problem}");
    }

    return problems.Count == 0 ? 0 : 1;
}));

var newKeyFile = new Option<FileInfo?>("--new-key-file") { Description = "Add a new key file (written to this path) instead of a passphrase (DPM_POOL_NEW_PASSPHRASE)" };
var keyAdd = new Command("add", "Add a passphrase (DPM_POOL_NEW_PASSPHRASE) or key file that opens the pool") { pool, keyFile, newKeyFile };
keyAdd.SetAction((parse, ct) => Do(async () =>
{
    await using var host = await LocalHost.StartAsync(ct);
    using var opened = await OpenAsync(host, parse, ct);
    PoolCredentials added;
    if (parse.GetValue(newKeyFile) is { } file)
    {
        var content = PoolCredentials.KeyFile.Generate();
        await File.WriteAllTextAsync(file.FullName, content, ct);
        File.SetUnixFileMode(file.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        added = PoolCredentials.FromKeyFile(content);
    }
    else
    {
        added = PoolCredentials.FromPassphrase(Environment.GetEnvironmentVariable("DPM_POOL_NEW_PASSPHRASE") is { Length: > 0 } p ? p
            : throw new ArgumentException("set DPM_POOL_NEW_PASSPHRASE to the new passphrase, or give --new-key-file"));
    }

    Console.WriteLine($"added key {await opened.AddKeyAsync(added, null, ct)}");
}));
var keyId = new Argument<string>("KEY") { Description = "The key id (see 'key list')" };
var keyRemove = new Command("remove", "Remove a key (never the last one)") { pool, keyFile, keyId };
keyRemove.SetAction((parse, ct) => Do(async () =>
{
    await using var host = await LocalHost.StartAsync(ct);
    using var opened = await OpenAsync(host, parse, ct);
    await opened.RemoveKeyAsync(parse.GetValue(keyId)!, ct);
    Console.WriteLine($"removed key {parse.GetValue(keyId)}");
}));
var keyList = new Command("list", "List the keys that open the pool") { pool, keyFile };
keyList.SetAction((parse, ct) => Do(async () =>
{
    await using var host = await LocalHost.StartAsync(ct);
    using var opened = await OpenAsync(host, parse, ct);
    foreach (var key in await opened.ListKeysAsync(ct))
    {
        Console.WriteLine($"{key.Id}\t{key.Kind}\t{key.CreatedAt:u}\t{key.Kdf?.Algorithm}");
    }
}));

var root = new RootCommand("dpm-pool: work on a DpmPlugins storage pool folder")
{
    init, backup, restore, list, verify, gc, prune, rebuild, new Command("key", "Passphrases and key files that open the pool") { keyAdd, keyRemove, keyList },
};
return await root.Parse(args).InvokeAsync();

static Task<int> Do(Func<Task> action) => Run(async () =>
{
    await action();
    return 0;
});

static async Task<int> Run(Func<Task<int>> action)
{
    try
    {
        return await action();
    }
    catch (Exception ex) when (ex is PoolAccessDeniedException or PoolDataException or IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
    {
        Console.Error.WriteLine($"dpm-pool: {ex.Message}");
        return 1;
    }
}

static PoolCredentials Credentials(ParseResult parse, bool create)
{
    if (parse.GetValue<FileInfo?>("--key-file") is { } file)
    {
        if (create && !file.Exists)
        {
            File.WriteAllText(file.FullName, PoolCredentials.KeyFile.Generate());
            File.SetUnixFileMode(file.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return File.Exists(file.FullName) ? PoolCredentials.FromKeyFile(File.ReadAllText(file.FullName)) : throw new ArgumentException($"key file '{file.FullName}' does not exist");
    }

    return Environment.GetEnvironmentVariable("DPM_POOL_PASSPHRASE") is { Length: > 0 } passphrase
        ? PoolCredentials.FromPassphrase(passphrase)
        : create ? throw new ArgumentException("set DPM_POOL_PASSPHRASE, or give --key-file, or --unencrypted") : PoolCredentials.None;
}

static async Task<StoragePool> OpenAsync(LocalHost host, ParseResult parse, CancellationToken ct)
{
    var store = await host.OpenStoreAsync(parse.GetValue<DirectoryInfo>("--pool")!.FullName, ct);
    return await StoragePool.OpenAsync(store, Credentials(parse, create: false), ct);
}

static async Task<RecoveryPointReader> FindAsync(StoragePool pool, string id, string? name, CancellationToken ct)
{
    if (id != "latest")
    {
        return await pool.OpenRecoveryPointAsync(id, ct) ?? throw new ArgumentException($"there is no recovery point '{id}'");
    }

    var (manifests, _) = await pool.ReadManifestsAsync(ct);
    var latest = manifests.Where(m => name is null || m.DataSourceName == name).MaxBy(m => m.Id, StringComparer.Ordinal)
        ?? throw new ArgumentException(name is null ? "the pool has no recovery point" : $"the pool has no recovery point of '{name}'");
    return (await pool.OpenRecoveryPointAsync(latest.Id, ct))!;
}

internal static class JsonOptions
{
    public static JsonSerializerOptions Value { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}
