using Microsoft.EntityFrameworkCore;

namespace Dpm.Catalog;

/// <summary>Every run of work is a job row: started, finished with its result, or marked interrupted after a crash.</summary>
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

    /// <summary>Records how a job ended: succeeded, failed (with the error) or cancelled.</summary>
    public async Task FinishAsync(Guid id, JobState state, long bytes, long items, string? error, CancellationToken cancellationToken)
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
