using Dpm.Catalog.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Dpm.Catalog.Tests;

/// <summary>Jobs started, finished, and marked interrupted when their server comes back after a crash.</summary>
public abstract class JobBookTests<TDatabases>(TDatabases databases) : CatalogTestBase<TDatabases>(databases)
    where TDatabases : class, ICatalogDatabases
{
    private readonly FakeTimeProvider _clock = new(Day);

    private JobBook Jobs => new(Open, _clock);

    [Fact]
    public async Task Job_StartedThenFinished_KeepsItsResultAndTiming()
    {
        var job = await Jobs.StartAsync(JobType.ExpressFull, "folder:/srv", "server1", CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(42));
        await Jobs.FinishAsync(job.Id, JobState.Succeeded, bytes: 1234, items: 7, error: null, CancellationToken.None);

        var listed = Assert.Single(await Jobs.ListAsync(10, CancellationToken.None));
        Assert.Equal((JobType.ExpressFull, JobState.Succeeded, 1234L, 7L), (listed.Type, listed.State, listed.BytesDone, listed.ItemsDone));
        Assert.Equal(TimeSpan.FromSeconds(42), listed.EndedAt - listed.StartedAt);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Jobs.FinishAsync(job.Id, JobState.Running, 0, 0, null, CancellationToken.None));
    }

    [Fact]
    public async Task MarkInterrupted_JobsOfTheServerThatStopped_FailedWithTheReason_OthersUntouched()
    {
        var cut = await Jobs.StartAsync(JobType.ExpressFull, "folder:/a", "server1", CancellationToken.None);
        var elsewhere = await Jobs.StartAsync(JobType.ExpressFull, "folder:/b", "server2", CancellationToken.None);
        var done = await Jobs.StartAsync(JobType.Verify, null, "server1", CancellationToken.None);
        await Jobs.FinishAsync(done.Id, JobState.Succeeded, 0, 0, null, CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(5));

        var marked = await Jobs.MarkInterruptedAsync("server1", CancellationToken.None);

        Assert.Equal(1, marked);
        var jobs = (await Jobs.ListAsync(10, CancellationToken.None)).ToDictionary(j => j.Id);
        Assert.Equal(JobState.Failed, jobs[cut.Id].State);
        Assert.Contains("interrupted", jobs[cut.Id].Error, StringComparison.Ordinal);
        Assert.Equal(Day.AddMinutes(5), jobs[cut.Id].EndedAt);
        Assert.Equal(JobState.Running, jobs[elsewhere.Id].State);
        Assert.Equal(JobState.Succeeded, jobs[done.Id].State);
    }
}

public sealed class SqliteJobBookTests(SqliteCatalogs databases) : JobBookTests<SqliteCatalogs>(databases);

public sealed class PostgresJobBookTests(PostgresCatalogs databases) : JobBookTests<PostgresCatalogs>(databases);
