using Dpm.Catalog.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Dpm.Catalog.Tests;

/// <summary>Jobs started, their progress written, cancelled on request, finished, and marked interrupted when their server comes back after a crash.</summary>
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

    [Fact]
    public async Task ReportProgress_RunningJob_WritesIt_AnUnknownTotalKeepsTheKnownOne_AndAfterTheEndNothingIsKept()
    {
        var job = await Jobs.StartAsync(JobType.ExpressFull, "folder:/srv", "server1", CancellationToken.None);

        var first = await Jobs.ReportProgressAsync(job.Id, bytesDone: 100, itemsDone: 1, "docs/a.txt", bytesTotal: 1000, CancellationToken.None);
        var second = await Jobs.ReportProgressAsync(job.Id, bytesDone: 400, itemsDone: 3, "docs/c.txt", bytesTotal: null, CancellationToken.None);
        var running = await Jobs.GetAsync(job.Id, CancellationToken.None);
        await Jobs.FinishAsync(job.Id, JobState.Succeeded, bytes: 1000, items: 5, error: null, CancellationToken.None);
        var late = await Jobs.ReportProgressAsync(job.Id, bytesDone: 500, itemsDone: 4, "docs/d.txt", bytesTotal: null, CancellationToken.None);
        var ended = await Jobs.GetAsync(job.Id, CancellationToken.None);

        Assert.True(first);
        Assert.True(second);
        Assert.Equal((400L, (long?)1000L, 3L, "docs/c.txt"), (running!.BytesDone, running.BytesTotal, running.ItemsDone, running.CurrentItem));
        Assert.False(late);
        Assert.Equal((JobState.Succeeded, 1000L, 5L), (ended!.State, ended.BytesDone, ended.ItemsDone));
    }

    [Fact]
    public async Task RequestCancel_RunningJob_MarksIt_OnlyThatJob()
    {
        var job = await Jobs.StartAsync(JobType.ExpressFull, "folder:/a", "server1", CancellationToken.None);
        var other = await Jobs.StartAsync(JobType.ExpressFull, "folder:/b", "server2", CancellationToken.None);

        var before = await Jobs.IsCancelRequestedAsync(job.Id, CancellationToken.None);
        var cancellation = await Jobs.RequestCancelAsync(job.Id, CancellationToken.None);
        var again = await Jobs.RequestCancelAsync(job.Id, CancellationToken.None);

        Assert.False(before);
        Assert.Equal(CancelOutcome.Requested, cancellation.Outcome);
        Assert.Null(cancellation.Refusal);
        Assert.Equal((JobState.Running, true), (cancellation.Job!.State, cancellation.Job.CancelRequested));
        Assert.Equal(CancelOutcome.Requested, again.Outcome); // asking twice is no error
        Assert.True(await Jobs.IsCancelRequestedAsync(job.Id, CancellationToken.None));
        Assert.False(await Jobs.IsCancelRequestedAsync(other.Id, CancellationToken.None));
        Assert.Equal([job.Id], await Jobs.ListCancelRequestedAsync([job.Id, other.Id, Guid.NewGuid()], CancellationToken.None));
    }

    [Fact]
    public async Task RequestCancel_EndedOrUnknownJob_RefusedWithTheReason_NothingMarked()
    {
        var done = await Jobs.StartAsync(JobType.ConsistencyCheck, "folder:/a", "server1", CancellationToken.None);
        await Jobs.FinishAsync(done.Id, JobState.Succeeded, 0, 0, null, CancellationToken.None);
        var unknown = Guid.NewGuid();

        var ended = await Jobs.RequestCancelAsync(done.Id, CancellationToken.None);
        var missing = await Jobs.RequestCancelAsync(unknown, CancellationToken.None);

        Assert.Equal(CancelOutcome.AlreadyEnded, ended.Outcome);
        Assert.Equal($"job {done.Id} already ended (Succeeded at 2026-11-25 00:00:00Z): there is nothing to cancel", ended.Refusal);
        Assert.False(ended.Job!.CancelRequested);
        Assert.False(await Jobs.IsCancelRequestedAsync(done.Id, CancellationToken.None));
        Assert.Equal((CancelOutcome.NotFound, (Job?)null), (missing.Outcome, missing.Job));
        Assert.Equal($"there is no job {unknown}", missing.Refusal);
        Assert.Null(await Jobs.GetAsync(unknown, CancellationToken.None));
    }
}

public sealed class SqliteJobBookTests(SqliteCatalogs databases) : JobBookTests<SqliteCatalogs>(databases);

public sealed class PostgresJobBookTests(PostgresCatalogs databases) : JobBookTests<PostgresCatalogs>(databases);
