using System.Diagnostics;
using System.Globalization;
using Dpm.Contracts;
using Dpm.Contracts.Workloads;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Dpm.Workloads.Sql.Sqlite;

/// <summary>
/// Recovers a SQLite database from a recovery point. The database is first written beside its destination
/// (<c>FILE.dpm-recovering-TIME</c>) and must pass <c>PRAGMA integrity_check</c>; only then is it renamed into
/// place, in one step.
/// <list type="bullet">
/// <item>Original location: refused while an application holds the database open; the database it replaces is
/// kept beside it as a safety copy (<c>FILE.dpm-safety-TIME</c>, with its write-ahead log or journal if it had
/// one), and the recovered one takes its place, its permissions and (when the agent runs as root) its owner.</item>
/// <item>Alternate location: <c>Path</c> is the new database file, which must not exist yet.</item>
/// <item>Copy to a folder: <c>Path</c> is the folder; the database is written into it under its own name, which
/// must not exist there yet.</item>
/// </list>
/// </summary>
internal sealed class SqliteRecovery(string computerName, TimeProvider time, ILogger logger)
{
    /// <summary>The companions that hold data of a database: its write-ahead log and its rollback journal.</summary>
    private static readonly string[] Logs = ["-wal", "-journal"];

    public async ValueTask<RecoveryResult> RecoverAsync(string original, IRecoverySource source, RecoveryRequest request, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        var target = request.Target;
        if (target.Computer is not null && !string.Equals(target.Computer, computerName, StringComparison.OrdinalIgnoreCase))
        {
            return Refused($"the recovery is for computer '{target.Computer}', but this agent runs on '{computerName}'", target.Path);
        }

        ProtectedItem? item = null;
        await foreach (var listed in source.EnumerateItemsAsync("", cancellationToken))
        {
            item ??= listed.Kind == ProtectedItemKind.File ? listed : null;
        }

        if (item is null)
        {
            return Refused($"recovery point {source.RecoveryPoint.Id} holds no database file", target.Path);
        }

        var replacing = target.Destination == RecoveryDestination.OriginalLocation;
        string destination;
        if (replacing)
        {
            destination = original;
        }
        else if (target.Path is not { } path || !Path.IsPathFullyQualified(path))
        {
            return Refused(target.Destination == RecoveryDestination.CopyToFolder
                ? $"a copy to a folder needs the folder's absolute path, not '{target.Path}'"
                : $"the alternate location of a SQLite database is the absolute path of the new database file, not '{target.Path}'", target.Path);
        }
        else
        {
            destination = target.Destination == RecoveryDestination.CopyToFolder ? Path.Combine(Path.GetFullPath(path), Path.GetFileName(item.Path)) : Path.GetFullPath(path);
            if (File.Exists(destination) || Directory.Exists(destination))
            {
                return Refused($"{destination} already exists: a SQLite database is recovered into a new file, and replaces only the original", destination);
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var stamp = time.GetUtcNow().ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture);
        var recovering = $"{destination}.dpm-recovering-{stamp}";
        try
        {
            long bytes;
            await using (var data = await source.OpenItemAsync(item.Path, cancellationToken) ?? throw new InvalidOperationException($"'{item.Path}' is listed but has no data"))
            await using (var file = new FileStream(recovering, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await data.CopyToAsync(file, cancellationToken);
                file.Flush(flushToDisk: true);
                bytes = file.Length;
            }

            progress?.Report(new ProgressReport(bytes, bytes, ItemsDone: 1, ItemsTotal: 1, CurrentItem: item.Path));
            var integrity = await Task.Run(() => SqliteFiles.CheckIntegrity(recovering), cancellationToken);
            if (integrity != "ok")
            {
                return Refused($"the database in recovery point {source.RecoveryPoint.Id} failed PRAGMA integrity_check, so {destination} was left alone: {integrity}", destination);
            }

            string? safety = null;
            if (replacing && File.Exists(destination))
            {
                if (await Task.Run(() => InUse(destination), cancellationToken) is { } inUse)
                {
                    return Refused(inUse, destination);
                }

                safety = KeepSafetyCopy(destination, stamp);
                File.SetUnixFileMode(recovering, File.GetUnixFileMode(destination));
                if (Environment.UserName == "root")
                {
                    await GiveOwnerAsync(destination, recovering, cancellationToken); // the application's user must still be able to write it
                }
            }

            File.Move(recovering, destination, overwrite: replacing);
            SqliteLog.Recovered(logger, original, destination, safety is null ? "" : $"; the database it replaced is kept as {safety}");
            return new RecoveryResult
            {
                Outcome = RecoveryOutcome.Succeeded,
                ItemsRecovered = 1,
                BytesRecovered = bytes,
                RecoveredTo = safety is null ? destination : $"{destination} (the database it replaced is kept as {safety})",
            };
        }
        finally
        {
            SqliteFiles.Delete(recovering); // left only when the recovery stopped before the rename
        }
    }

    /// <summary>
    /// Why the database can't be replaced now, or null: it can't while another connection holds it open (in WAL
    /// mode every open connection holds a lock; in rollback mode only one in a transaction does). A file that is
    /// not a database any more holds nothing to wait for.
    /// </summary>
    private static string? InUse(string database)
    {
        try
        {
            using var connection = SqliteFiles.Open(database, SqliteOpenMode.ReadWrite, busySeconds: 1);
            SqliteFiles.Execute(connection, "PRAGMA locking_mode = EXCLUSIVE");
            SqliteFiles.Execute(connection, "BEGIN EXCLUSIVE");
            SqliteFiles.Execute(connection, "ROLLBACK");
            return null;
        }
        catch (SqliteException ex) when (SqliteFiles.IsLockedByOthers(ex))
        {
            return $"{database} is in use: stop the applications that have it open, then recover again ({ex.Message})";
        }
        catch (SqliteException)
        {
            return null;
        }
    }

    /// <summary>Copies the database about to be replaced to <c>FILE.dpm-safety-TIME</c>, and moves its write-ahead log or journal along with it.</summary>
    private static string KeepSafetyCopy(string database, string stamp)
    {
        var safety = $"{database}.dpm-safety-{stamp}";
        File.Copy(database, safety);
        foreach (var suffix in Logs.Where(s => File.Exists(database + s)))
        {
            File.Move(database + suffix, safety + suffix);
        }

        File.Delete(database + "-shm"); // an index of the log just moved away: SQLite rebuilds it
        return safety;
    }

    /// <summary>Gives <paramref name="file"/> the owner and group of <paramref name="reference"/>.</summary>
    private static async Task GiveOwnerAsync(string reference, string file, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("chown") { RedirectStandardError = true, UseShellExecute = false, ArgumentList = { "--reference=" + reference, "--", file } };
        using var chown = Process.Start(start) ?? throw new InvalidOperationException("chown could not be started");
        var error = await chown.StandardError.ReadToEndAsync(cancellationToken);
        await chown.WaitForExitAsync(cancellationToken);
        if (chown.ExitCode != 0)
        {
            throw new InvalidOperationException($"the recovered database could not be given the owner of {reference}: {error.Trim()}");
        }
    }

    private static RecoveryResult Refused(string reason, string? destination) => new()
    {
        Outcome = RecoveryOutcome.Failed,
        Failures = [new ItemFailure("", reason)],
        RecoveredTo = destination,
    };
}
