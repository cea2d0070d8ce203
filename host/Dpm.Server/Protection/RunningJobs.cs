using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using Dpm.Catalog;
using Dpm.Contracts;
using Microsoft.Extensions.Options;

namespace Dpm.Server.Protection;

/// <summary>How the server runs jobs.</summary>
public sealed class JobOptions
{
    public const string Section = "Dpm:Jobs";

    /// <summary>A running job's progress goes to the catalog at most this often (and its last value when it ends).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the server asks the catalog whether a job it runs was asked to cancel (through any server sharing the catalog).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan CancelPollInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// The jobs this server runs. Each has a cancellation of its own, linked with the request that started it: a cancel
/// given to this server stops the job at once; one given to another server sharing the catalog only marks the row,
/// and this server finds the mark by asking the catalog every <see cref="JobOptions.CancelPollInterval"/>.
/// </summary>
internal sealed partial class RunningJobs(CatalogHost catalog, IOptions<JobOptions> options, TimeProvider time, ILogger<RunningJobs> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, RunningJob> _jobs = new();

    internal CatalogHost Catalog => catalog;

    internal TimeProvider Time => time;

    internal TimeSpan ProgressInterval => options.Value.ProgressInterval;

    /// <summary>Starts a job: its catalog row, running on this server. End it with <see cref="RunningJob.EndAsync"/>, then dispose of it.</summary>
    public async Task<RunningJob> StartAsync(JobType type, string? dataSourceId, CancellationToken requestAborted, int attempt = 1)
    {
        var row = await catalog.Jobs.StartAsync(type, dataSourceId, catalog.ServerName, requestAborted, attempt);
        var job = new RunningJob(this, row, requestAborted);
        _jobs[row.Id] = job;
        return job;
    }

    /// <summary>
    /// Asks for a job to be cancelled, wherever it runs: the catalog marks it, and a job of this server stops now.
    /// Returns the job as the catalog has it, or the reason nothing was cancelled.
    /// </summary>
    public async Task<Outcome<Job>> CancelAsync(Guid id, CancellationToken cancellationToken)
    {
        var cancellation = await catalog.Jobs.RequestCancelAsync(id, cancellationToken);
        switch (cancellation.Outcome)
        {
            case CancelOutcome.NotFound:
                return Outcome.Fail<Job>(StatusCodes.Status404NotFound, cancellation.Refusal!);
            case CancelOutcome.AlreadyEnded:
                return Outcome.Fail<Job>(StatusCodes.Status409Conflict, cancellation.Refusal!);
            default:
                if (_jobs.TryGetValue(id, out var job) && job.Cancel())
                {
                    Cancelled(logger, id, "here");
                }

                return Outcome.Ok(cancellation.Job!);
        }
    }

    internal void Forget(Guid id) => _jobs.TryRemove(id, out _);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CancelPollInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (_jobs.IsEmpty)
            {
                continue;
            }

            try
            {
                foreach (var id in await catalog.Jobs.ListCancelRequestedAsync([.. _jobs.Keys], stoppingToken))
                {
                    if (_jobs.TryGetValue(id, out var job) && job.Cancel())
                    {
                        Cancelled(logger, id, "through the catalog");
                    }
                }
            }
            catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException)
            {
                CancelPollFailed(logger, ex.Message);
            }
        }
    }

    /// <summary>Writes a job's progress, and says when it can't (the job goes on).</summary>
    internal async Task WriteProgressAsync(Guid id, ProgressReport progress)
    {
        try
        {
            await catalog.Jobs.ReportProgressAsync(id, progress.BytesDone, progress.ItemsDone, progress.CurrentItem, progress.BytesTotal, CancellationToken.None);
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException)
        {
            ProgressNotWritten(logger, id, ex.Message);
        }
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "Job {Job} was asked to cancel ({How}): stopping it")]
    private static partial void Cancelled(ILogger logger, Guid job, string how);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "Could not ask the catalog which running jobs were asked to cancel: {Reason}")]
    private static partial void CancelPollFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "Could not write the progress of job {Job}: {Reason}")]
    private static partial void ProgressNotWritten(ILogger logger, Guid job, string reason);
}

/// <summary>
/// A job this server runs: its cancellation (<see cref="Token"/>), and its progress on the way to its catalog row —
/// reported as often as the work likes, written at most every <see cref="JobOptions.ProgressInterval"/> without
/// making the work wait, and the last value written when the job ends.
/// </summary>
internal sealed class RunningJob : IProgress<ProgressReport>, IDisposable
{
    private readonly RunningJobs _owner;
    private readonly CancellationTokenSource _cancel;
    private readonly Lock _progressGate = new();
    private readonly Lock _cancelGate = new();
    private ProgressReport _last;
    private bool _unwritten;
    private long? _lastWrite;
    private Task _writing = Task.CompletedTask;
    private bool _ended;
    private bool _disposed;

    internal RunningJob(RunningJobs owner, Job row, CancellationToken requestAborted)
    {
        _owner = owner;
        Row = row;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
    }

    /// <summary>The job's row as it was started.</summary>
    public Job Row { get; }

    public Guid Id => Row.Id;

    /// <summary>Cancelled when someone asks for the job to be cancelled, or when the request that started it goes away.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>Whether someone asked for the job to be cancelled (as opposed to the request that started it going away).</summary>
    public bool CancelRequested { get; private set; }

    /// <summary>The latest progress the work reported.</summary>
    public ProgressReport Progress
    {
        get
        {
            lock (_progressGate)
            {
                return _last;
            }
        }
    }

    /// <summary>Why the job was cancelled, in words for its row.</summary>
    public string CancelReason => CancelRequested ? "cancelled on request" : "cancelled: the request that started it ended first";

    public void Report(ProgressReport value)
    {
        lock (_progressGate)
        {
            _last = value;
            _unwritten = true;
            if (_ended || !_writing.IsCompleted || (_lastWrite is { } last && _owner.Time.GetElapsedTime(last) < _owner.ProgressInterval))
            {
                return;
            }

            _unwritten = false;
            _lastWrite = _owner.Time.GetTimestamp();
            _writing = Task.Run(() => _owner.WriteProgressAsync(Id, value));
        }
    }

    /// <summary>Stops the job's work; false when it was already asked to stop, or has ended.</summary>
    internal bool Cancel()
    {
        lock (_cancelGate)
        {
            if (_disposed || CancelRequested)
            {
                return false;
            }

            CancelRequested = true;
            _cancel.Cancel();
            return true;
        }
    }

    /// <summary>
    /// Writes the last progress not written yet, then how the job ended, and what it turned out to be when not
    /// what it started as (an express full that shipped only logs, an incremental recovery point, is a synchronization).
    /// </summary>
    public async Task EndAsync(JobState state, long bytes, long items, string? error, JobType? turnedOut = null)
    {
        Task writing;
        ProgressReport? unwritten;
        lock (_progressGate)
        {
            _ended = true;
            writing = _writing;
            unwritten = _unwritten ? _last : null;
        }

        await writing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // a progress write that failed doesn't keep the end from being written
        if (unwritten is { } last)
        {
            await _owner.WriteProgressAsync(Id, last);
        }

        await _owner.Catalog.Jobs.FinishAsync(Id, state, bytes, items, error, CancellationToken.None, turnedOut);
    }

    /// <summary>The job no longer runs here: it leaves the server's list of running jobs.</summary>
    public void Dispose()
    {
        _owner.Forget(Id);
        lock (_cancelGate)
        {
            _disposed = true;
        }

        _cancel.Dispose();
    }
}
