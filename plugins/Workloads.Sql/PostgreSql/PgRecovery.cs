using System.Diagnostics;
using System.Globalization;
using Dpm.Contracts;
using Dpm.Contracts.Workloads;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Dpm.Workloads.Sql.PostgreSql;

/// <summary>
/// Recovers a cluster from a recovery point: its data directory and the WAL it holds, set up to replay that WAL
/// to the end or to a point in time (<c>recovery_target_time</c>), on the latest timeline.
/// <list type="bullet">
/// <item>Original location: the cluster is stopped, its data directory kept beside as a safety copy
/// (<c>DIR.dpm-safety-TIME</c>), the recovered one put in its place, and the cluster started again.</item>
/// <item>Alternate location: <c>Path</c> is <c>DIR:PORT</c>; the recovered cluster starts there on that port beside
/// the original, with archiving off so it never writes into the original's archive.</item>
/// <item>Copy to a folder: the files as they are in the recovery point (<c>data/</c>, <c>wal/</c>), nothing started.</item>
/// </list>
/// Leave non-operational: the cluster stays in recovery (standby), ready for more WAL.
/// </summary>
internal sealed class PgRecovery(PostgreSqlCluster cluster, TimeProvider time, ILogger logger)
{
    public async ValueTask<RecoveryResult> RecoverAsync(IRecoverySource source, RecoveryRequest request, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        var options = request.Options;
        if (options.PointInTime is { } pointInTime && pointInTime > source.RecoveryPoint.CreatedAt)
        {
            throw new ArgumentException($"{pointInTime:u} is after recovery point {source.RecoveryPoint.Id} ({source.RecoveryPoint.CreatedAt:u}): choose a later recovery point, or an earlier time");
        }

        var target = request.Target;
        string directory;
        int? port = null;
        switch (target.Destination)
        {
            case RecoveryDestination.CopyToFolder:
                var folder = target.Path ?? throw new ArgumentException("a copy to a folder needs the folder");
                var copied = await WriteAsync(source, "", folder, progress, cancellationToken);
                return new RecoveryResult { Outcome = RecoveryOutcome.Succeeded, ItemsRecovered = copied.Items, BytesRecovered = copied.Bytes };
            case RecoveryDestination.AlternateLocation:
                (directory, port) = ParseAlternate(target.Path);
                if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
                {
                    throw new ArgumentException($"{directory} is not empty: an alternate location must be a new or empty folder");
                }

                break;
            default:
                directory = await OriginalDirectoryAsync(source, cancellationToken);
                await PgCtlAsync("stop", directory, ["-m", "fast"], mayFail: true, cancellationToken);
                if (Directory.Exists(directory))
                {
                    var safety = $"{directory}.dpm-safety-{time.GetUtcNow():yyyyMMddTHHmmss}";
                    Directory.Move(directory, safety);
                }

                break;
        }

        var wal = directory.TrimEnd('/') + ".wal";
        var data = await WriteAsync(source, "data/", directory, progress, cancellationToken);
        var logs = await WriteAsync(source, "wal/", wal, progress, cancellationToken);
        var settings = new List<string>
        {
            $"# recovered by DpmPlugins from recovery point {source.RecoveryPoint.Id}",
            $"restore_command = 'cp \"{wal}/%f\" \"%p\"'",
            "recovery_target_timeline = 'latest'",
        };
        if (options.PointInTime is { } at)
        {
            settings.Add($"recovery_target_time = '{at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)}+00'");
            settings.Add("recovery_target_action = 'promote'");
        }

        if (port is { } p)
        {
            settings.Add($"port = {p}");
            settings.Add("archive_mode = off");
        }

        await File.AppendAllLinesAsync(Path.Combine(directory, "postgresql.auto.conf"), settings, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, options.LeaveNonOperational ? "standby.signal" : "recovery.signal"), "", cancellationToken);
        Directory.CreateDirectory(Path.Combine(directory, "pg_wal"));
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var log = directory.TrimEnd('/') + ".log";
        if (Environment.UserName == "root")
        {
            // The cluster writes its log beside its data directory, in a folder its user may not be able to write to.
            await using (File.Open(log, FileMode.Append, FileAccess.Write))
            {
            }

            await RunAsync("chown", ["-R", cluster.ServiceUser + ":", directory, wal, log], cancellationToken);
        }

        try
        {
            await PgCtlAsync("start", directory, ["-l", log], mayFail: false, cancellationToken);
        }
        catch (InvalidOperationException ex) when (File.Exists(log))
        {
            var said = File.ReadLines(log).Where(l => l.Contains("FATAL", StringComparison.Ordinal) || l.Contains("ERROR", StringComparison.Ordinal)).TakeLast(3);
            throw new InvalidOperationException($"the recovered cluster in {directory} didn't start: {string.Join(" / ", said)} (all of it in {log})", ex);
        }
        if (!options.LeaveNonOperational)
        {
            await WaitForPromotionAsync(port ?? cluster.Port, directory, cancellationToken);
        }

        PgLog.Recovered(logger, cluster.Name, directory, options.LeaveNonOperational ? "left in recovery for more WAL" : options.PointInTime is { } until ? $"to {until:u}" : "to the end of its WAL");
        return new RecoveryResult { Outcome = RecoveryOutcome.Succeeded, ItemsRecovered = data.Items + logs.Items, BytesRecovered = data.Bytes + logs.Bytes };
    }

    private static (string Directory, int Port) ParseAlternate(string? path)
    {
        var colon = path?.LastIndexOf(':') ?? -1;
        return colon > 0 && int.TryParse(path![(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536 && Path.IsPathFullyQualified(path[..colon])
            ? (path[..colon], port)
            : throw new ArgumentException($"an alternate location of a PostgreSQL cluster is DIR:PORT (a new data directory and the port to run it on), not '{path}'");
    }

    /// <summary>The cluster's data directory when it was protected (kept in the recovery point).</summary>
    private static async Task<string> OriginalDirectoryAsync(IRecoverySource source, CancellationToken cancellationToken)
    {
        await using var stream = await source.OpenItemAsync("cluster.conf", cancellationToken) ?? throw new InvalidOperationException("the recovery point doesn't say where the cluster's data directory was");
        using var reader = new StreamReader(stream);
        var line = (await reader.ReadToEndAsync(cancellationToken)).Split('\n').FirstOrDefault(l => l.StartsWith("data_directory=", StringComparison.Ordinal));
        return line?["data_directory=".Length..] ?? throw new InvalidOperationException("the recovery point doesn't say where the cluster's data directory was");
    }

    /// <summary>Writes the items under <paramref name="prefix"/> into <paramref name="folder"/>; nothing escapes it.</summary>
    private static async Task<(long Items, long Bytes)> WriteAsync(IRecoverySource source, string prefix, string folder, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(folder);
        Directory.CreateDirectory(root);
        long items = 0, bytes = 0;
        await foreach (var item in source.EnumerateItemsAsync(prefix, cancellationToken))
        {
            var relative = item.Path[prefix.Length..];
            if (relative.Length == 0)
            {
                continue;
            }

            var destination = Path.GetFullPath(Path.Combine(root, relative));
            if (!destination.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"'{item.Path}' would be written outside {root}: the recovery point is not trusted");
            }

            if (item.Kind == ProtectedItemKind.Directory)
            {
                Directory.CreateDirectory(destination);
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            await using (var data = await source.OpenItemAsync(item.Path, cancellationToken) ?? throw new InvalidOperationException($"'{item.Path}' is listed but has no data"))
            await using (var file = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                await data.CopyToAsync(file, cancellationToken);
                bytes += file.Length;
            }

            File.SetUnixFileMode(destination, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            progress?.Report(new ProgressReport(bytes, ItemsDone: ++items, CurrentItem: item.Path));
        }

        return (items, bytes);
    }

    private async Task WaitForPromotionAsync(int port, string directory, CancellationToken cancellationToken)
    {
        var connection = cluster with { Port = port };
        var started = time.GetTimestamp();
        while (true)
        {
            try
            {
                await using var open = new NpgsqlConnection(connection.ConnectionString());
                await open.OpenAsync(cancellationToken);
                if (!await open.ScalarAsync<bool>("SELECT pg_is_in_recovery()", cancellationToken))
                {
                    return;
                }
            }
            catch (NpgsqlException) when (time.GetElapsedTime(started) < TimeSpan.FromMinutes(2))
            {
            }

            if (time.GetElapsedTime(started) >= TimeSpan.FromMinutes(2))
            {
                throw new InvalidOperationException($"the cluster recovered into {directory} didn't finish its recovery within 2 minutes: see {directory.TrimEnd('/')}.log");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private Task PgCtlAsync(string action, string directory, string[] more, bool mayFail, CancellationToken cancellationToken)
    {
        var pgCtl = Path.Combine(cluster.BinDirectory, "pg_ctl");
        string[] args = [action, "-D", directory, "-w", .. more];
        return Environment.UserName == "root" ? RunAsync("runuser", ["-u", cluster.ServiceUser, "--", pgCtl, .. args], cancellationToken, mayFail) : RunAsync(pgCtl, args, cancellationToken, mayFail);
    }

    private static async Task RunAsync(string program, string[] args, CancellationToken cancellationToken, bool mayFail = false)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} could not be started");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0 && !mayFail)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Trim()} {(await output).Trim()}");
        }
    }
}
