using Microsoft.EntityFrameworkCore;

namespace Dpm.Catalog;

/// <summary>What a request to cancel a job found.</summary>
public enum CancelOutcome
{
    /// <summary>The job was queued or running: it is marked, and the server that runs it stops it.</summary>
    Requested,

    /// <summary>The catalog has no such job.</summary>
    NotFound,

    /// <summary>The job had already ended: there is nothing to cancel.</summary>
    AlreadyEnded,
}

/// <summary>The answer to a request to cancel a job: the outcome, and the job as it is now (none when there is no such job).</summary>
public sealed record JobCancellation(Guid JobId, CancelOutcome Outcome, Job? Job)
{
    /// <summary>Why nothing was cancelled, in words; null when the cancel was requested.</summary>
    public string? Refusal => Outcome switch
    {
        CancelOutcome.NotFound => $"there is no job {JobId}",
        CancelOutcome.AlreadyEnded => $"job {JobId} already ended ({Job!.State}{(Job.EndedAt is { } ended ? $" at {ended:u}" : "")}): there is nothing to cancel",
        _ => null,
    };
}

/// <summary>
/// Every run of work is a job row: started, its progress written while it runs, cancelled on request, finished with
/// its result, or marked interrupted after a crash.
/// </summary>
public sealed class JobBook(Func<CatalogContext> open, TimeProvider time)
{
    /// <summary>How the error of a job cut off by a stopping server begins.</summary>
    public const string Interrupted = "interrupted";

    public async Task<Job> StartAsync(JobType type, string? dataSourceId, string server, CancellationToken cancellationToken, int attempt = 1)
    {
        var now = time.GetUtcNow();
        var job = new Job { Type = type, State = JobState.Running, DataSourceId = dataSourceId, Server = server, CreatedAt = now, StartedAt = now, Attempt = attempt };
        await using var catalog = open();
        catalog.Jobs.Add(job);
        await catalog.SaveChangesAsync(cancellationToken);
        return job;
    }

    /// <summary>One job, or null when the catalog has none with that id.</summary>
    public async Task<Job?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var catalog = open();
        return await catalog.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == id, cancellationToken);
    }

    /// <summary>
    /// Writes a queued or running job's progress: bytes and items done, the item it is at, and the total bytes when
    /// known (an unknown total keeps the one written before). Returns false when the job isn't queued or running
    /// (progress that arrives after the end is not kept).
    /// </summary>
    public async Task<bool> ReportProgressAsync(Guid id, long bytesDone, long itemsDone, string? currentItem, long? bytesTotal, CancellationToken cancellationToken)
    {
        await using var catalog = open();
        var written = await catalog.Jobs
            .Where(j => j.Id == id && (j.State == JobState.Running || j.State == JobState.Queued))
            .ExecuteUpdateAsync(
                set =>
                {
                    set.SetProperty(j => j.BytesDone, bytesDone).SetProperty(j => j.ItemsDone, itemsDone).SetProperty(j => j.CurrentItem, currentItem);
                    if (bytesTotal is { } total)
                    {
                        set.SetProperty(j => j.BytesTotal, total);
                    }
                },
                cancellationToken);
        return written == 1;
    }

    /// <summary>
    /// Asks for a queued or running job to be cancelled: marks it, and the server that runs it (this one or another
    /// sharing the catalog) stops it. A job that already ended, or one the catalog doesn't have, is refused with the reason.
    /// </summary>
    public async Task<JobCancellation> RequestCancelAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var catalog = open();
        var marked = await catalog.Jobs
            .Where(j => j.Id == id && (j.State == JobState.Running || j.State == JobState.Queued))
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.CancelRequested, true), cancellationToken);
        var job = await catalog.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == id, cancellationToken);
        var outcome = marked == 1 ? CancelOutcome.Requested : job is null ? CancelOutcome.NotFound : CancelOutcome.AlreadyEnded;
        return new JobCancellation(id, outcome, job);
    }

    /// <summary>Whether someone asked for the job to be cancelled.</summary>
    public async Task<bool> IsCancelRequestedAsync(Guid id, CancellationToken cancellationToken) =>
        (await ListCancelRequestedAsync([id], cancellationToken)).Count == 1;

    /// <summary>Of the given jobs, those someone asked to cancel (one query, however many jobs a server runs).</summary>
    public async Task<IReadOnlySet<Guid>> ListCancelRequestedAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        await using var catalog = open();
        return (await catalog.Jobs.AsNoTracking().Where(j => j.CancelRequested && ids.Contains(j.Id)).Select(j => j.Id).ToListAsync(cancellationToken)).ToHashSet();
    }

    /// <summary>Records how a job ended: succeeded, failed (with the error) or cancelled.</summary>
    public async Task FinishAsync(Guid id, JobState state, long bytes, long items, string? error, CancellationToken cancellationToken, JobType? turnedOut = null)
    {
        if (state is JobState.Queued or JobState.Running)
        {
            throw new ArgumentOutOfRangeException(nameof(state), state, "a finished job succeeded, failed or was cancelled");
        }

        await using var catalog = open();
        var job = await catalog.Jobs.SingleAsync(j => j.Id == id, cancellationToken);
        job.State = state;
        job.EndedAt = time.GetUtcNow();
        job.BytesDone = bytes;
        job.ItemsDone = items;
        job.Error = error;
        job.Type = turnedOut ?? job.Type;
        await catalog.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// When a server starts: its jobs still queued or running were cut off when it stopped (a crash, a kill):
    /// they are marked failed with that reason. Returns how many.
    /// </summary>
    public async Task<int> MarkInterruptedAsync(string server, CancellationToken cancellationToken)
    {
        await using var catalog = open();
        var cut = await catalog.Jobs.Where(j => j.Server == server && (j.State == JobState.Running || j.State == JobState.Queued)).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        foreach (var job in cut)
        {
            job.State = JobState.Failed;
            job.EndedAt = now;
            job.Error = Interrupted + ": the server stopped while the job ran";
        }

        await catalog.SaveChangesAsync(cancellationToken);
        return cut.Count;
    }

    /// <summary>
    /// When a fire cut off by a dying server is retried: the data source's jobs still running (on any server: the
    /// one that ran them is gone) are marked failed, naming the server that retries them. Returns the highest
    /// attempt among them (0 when there were none).
    /// </summary>
    public async Task<int> MarkInterruptedForRetryAsync(string dataSourceId, string retriedBy, CancellationToken cancellationToken)
    {
        await using var catalog = open();
        var cut = await catalog.Jobs.Where(j => j.DataSourceId == dataSourceId && (j.State == JobState.Running || j.State == JobState.Queued)).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        foreach (var job in cut)
        {
            job.State = JobState.Failed;
            job.EndedAt = now;
            job.Error = $"{Interrupted}: server {job.Server} stopped while the job ran; retried by {retriedBy}";
        }

        await catalog.SaveChangesAsync(cancellationToken);
        if (cut.Count > 0)
        {
            return cut.Max(j => j.Attempt);
        }

        // The same server restarted and marked it at start already.
        var latest = await catalog.Jobs.AsNoTracking().Where(j => j.DataSourceId == dataSourceId).OrderByDescending(j => j.CreatedAt).Take(1).ToListAsync(cancellationToken);
        return latest is [{ State: JobState.Failed, Error: { } error } previous] && error.StartsWith(Interrupted, StringComparison.Ordinal) ? previous.Attempt : 0;
    }

    /// <summary>When the latest successful synchronization or check of a data source started, if there was one.</summary>
    public async Task<DateTimeOffset?> LastSucceededStartAsync(string dataSourceId, CancellationToken cancellationToken)
    {
        await using var catalog = open();
        var starts = await catalog.Jobs.AsNoTracking()
            .Where(j => j.DataSourceId == dataSourceId && j.State == JobState.Succeeded && j.StartedAt != null
                && (j.Type == JobType.ReplicaCreation || j.Type == JobType.ExpressFull || j.Type == JobType.Synchronization || j.Type == JobType.ConsistencyCheck))
            .OrderByDescending(j => j.StartedAt).Select(j => j.StartedAt).Take(1).ToListAsync(cancellationToken);
        return starts.Count == 0 ? null : starts[0];
    }

    /// <summary>The newest jobs first.</summary>
    public async Task<IReadOnlyList<Job>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var catalog = open();
        return await catalog.Jobs.AsNoTracking().OrderByDescending(j => j.CreatedAt).Take(limit).ToListAsync(cancellationToken);
    }
}
