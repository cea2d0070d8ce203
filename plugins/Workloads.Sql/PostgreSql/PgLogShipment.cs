using System.Runtime.CompilerServices;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;

namespace Dpm.Workloads.Sql.PostgreSql;

/// <summary>
/// The WAL segments archived after the previous recovery point's last one, up to the segment this
/// synchronization closed (and the timeline history files), checked for gaps: a missing segment breaks the chain.
/// </summary>
internal sealed class PgLogShipment : ILogShipment
{
    private readonly string _archive;
    private readonly IReadOnlyList<ProtectedItem> _logs;

    private PgLogShipment(string archive, IReadOnlyList<ProtectedItem> logs, ChangeToken token, string? gap)
    {
        _archive = archive;
        _logs = logs;
        Token = token;
        GapDescription = gap;
    }

    public LogContinuity Continuity => GapDescription is null ? LogContinuity.Continuous : LogContinuity.GapDetected;

    public string? GapDescription { get; }

    public ChangeToken Token { get; }

    public static PgLogShipment Gap(ChangeToken since, string description) => new("", [], since, description);

    public static Task<PgLogShipment> CollectAsync(PostgreSqlCluster cluster, WalSegment last, WalSegment closed, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var archived = new DirectoryInfo(cluster.ArchiveDirectory).EnumerateFiles().ToList();
        var segments = archived
            .Select(f => (File: f, Ok: WalSegment.TryParse(f.Name, out var s), Segment: s))
            .Where(f => f.Ok && f.Segment.CompareTo(last) > 0 && f.Segment.CompareTo(closed) <= 0)
            .OrderBy(f => f.Segment)
            .ToList();
        var expected = last;
        foreach (var (_, _, segment) in segments)
        {
            if (!expected.IsFollowedBy(segment))
            {
                return Task.FromResult(Gap(PgTokens.Of(last), $"WAL segment {expected.Next()} is missing from the archive {cluster.ArchiveDirectory} (the next one there is {segment})"));
            }

            expected = segment;
        }

        if (closed.CompareTo(last) > 0 && expected != closed)
        {
            return Task.FromResult(Gap(PgTokens.Of(last), $"WAL segment {expected.Next()} is missing from the archive {cluster.ArchiveDirectory}"));
        }

        var logs = segments.Select(s => s.File)
            .Concat(archived.Where(f => f.Name.EndsWith(".history", StringComparison.Ordinal)))
            .Select(f => new ProtectedItem { Path = "wal/" + f.Name, Kind = ProtectedItemKind.Log, Length = f.Length, LastWriteTime = f.LastWriteTimeUtc })
            .ToList();
        return Task.FromResult(new PgLogShipment(cluster.ArchiveDirectory, logs, PgTokens.Of(closed.CompareTo(last) > 0 ? closed : last), null));
    }

    public async IAsyncEnumerable<ProtectedItem> EnumerateLogsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        foreach (var log in _logs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return log;
        }
    }

    public ValueTask<Stream> OpenLogAsync(ProtectedItem log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        return ValueTask.FromResult<Stream>(new FileStream(Path.Combine(_archive, log.Path["wal/".Length..]), FileMode.Open, FileAccess.Read, FileShare.Read));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
