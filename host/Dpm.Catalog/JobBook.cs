using Microsoft.EntityFrameworkCore;

namespace Dpm.Catalog;

/// <summary>Every run of work is a job row: started, finished with its result, or marked interrupted after a crash.</summary>
public sealed class JobBook(Func<CatalogContext> open, TimeProvider time)
{
    public async Task<Job> StartAsync(JobType type, string? dataSourceId, string server, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var job = new Job { Type = type, State = JobState.Running, DataSourceId = dataSourceId, Server = server, CreatedAt = now, StartedAt = now };
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
            job.Error = "interrupted: the server stopped while the job ran";
        }

        await catalog.SaveChangesAsync(cancellationToken);
        return cut.Count;
    }

    /// <summary>The newest jobs first.</summary>
    public async Task<IReadOnlyList<Job>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var catalog = open();
        return await catalog.Jobs.AsNoTracking().OrderByDescending(j => j.CreatedAt).Take(limit).ToListAsync(cancellationToken);
    }
}
