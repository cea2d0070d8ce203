using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Dpm.Contracts;
using Dpm.Server.Protection;
using Dpm.Transfer.Wire;
using Grpc.Core;

namespace Dpm.Server.Agents;

/// <summary>An agent that can't be given work: it isn't connected, or it went away during the work.</summary>
internal sealed class AgentUnavailableException(string message) : Exception(message);

/// <summary>
/// Work for the agents of other computers: each running agent keeps a standing call open (<c>dpm-agent run</c>),
/// on which the server sends synchronizations and consistency checks as its schedule fires, and cancels; the
/// agent reports their progress and how they ended.
/// </summary>
internal sealed partial class AgentDispatcher(ILogger<AgentDispatcher> logger)
{
    /// <summary>How long work waits for an agent that went away during it to come back before it fails.</summary>
    public static TimeSpan ReconnectGrace { get; set; } = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<string, Channel<WorkItem>> _connected = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Computer, RunningJob Job, TaskCompletionSource<WorkReport> Done, WorkItem Item)> _pending = new(StringComparer.Ordinal);

    public bool IsConnected(string computer) => _connected.ContainsKey(computer);

    /// <summary>Serves an agent's standing call until it ends; a newer call of the same computer takes over.</summary>
    public async Task ServeAsync(string computer, IServerStreamWriter<WorkItem> output, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<WorkItem>();
        _connected[computer] = channel;
        Connected(logger, computer);
        try
        {
            // Work given before the call dropped and not reported yet goes out again (the agent runs each job once).
            foreach (var pending in _pending.Values.Where(p => p.Computer == computer))
            {
                await output.WriteAsync(pending.Item, cancellationToken);
            }

            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken))
            {
                await output.WriteAsync(item, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _connected.TryRemove(KeyValuePair.Create(computer, channel));
            Disconnected(logger, computer);
        }
    }

    /// <summary>Gives an agent work that is a job of this server, and waits until the agent says how it ended.</summary>
    public async Task<WorkReport> RunAsync(string computer, WorkItem item, RunningJob job)
    {
        if (!_connected.TryGetValue(computer, out var channel))
        {
            throw new AgentUnavailableException($"the agent of {computer} is not connected to this server (is 'dpm-agent run' running there?)");
        }

        var done = new TaskCompletionSource<WorkReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[item.JobId] = (computer, job, done, item);
        try
        {
            await channel.Writer.WriteAsync(item, CancellationToken.None);
            using var cancel = job.Token.Register(() => Send(computer, new WorkItem { JobId = item.JobId, Kind = WorkItem.Types.Kind.Cancel }));
            var away = new Stopwatch();
            while (true)
            {
                if (await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)) == done.Task)
                {
                    return await done.Task;
                }

                if (IsConnected(computer))
                {
                    away.Reset();
                }
                else if (!away.IsRunning)
                {
                    away.Start();
                }
                else if (away.Elapsed > ReconnectGrace)
                {
                    throw new AgentUnavailableException($"the agent of {computer} went away during the job and didn't come back within {ReconnectGrace.TotalMinutes:0.#} minutes");
                }
            }
        }
        finally
        {
            _pending.TryRemove(item.JobId, out _);
        }
    }

    /// <summary>An agent's report on its work: progress goes to the job, the end to whoever waits for it.</summary>
    public void Report(string computer, WorkReport report)
    {
        if (!_pending.TryGetValue(report.JobId, out var pending) || pending.Computer != computer)
        {
            throw new ReplicaRefusedException(StatusCode.PermissionDenied, $"job {report.JobId} is not work this server gave {computer}");
        }

        if (report.Done)
        {
            pending.Done.TrySetResult(report);
        }
        else
        {
            pending.Job.Report(new ProgressReport(report.BytesDone, ItemsDone: report.ItemsDone, CurrentItem: report.CurrentItem.Length > 0 ? report.CurrentItem : null));
        }
    }

    private void Send(string computer, WorkItem item)
    {
        if (_connected.TryGetValue(computer, out var channel))
        {
            channel.Writer.TryWrite(item);
        }
    }

    [LoggerMessage(EventId = 64, Level = LogLevel.Information, Message = "The agent of {Computer} takes work")]
    private static partial void Connected(ILogger logger, string computer);

    [LoggerMessage(EventId = 65, Level = LogLevel.Information, Message = "The agent of {Computer} no longer takes work")]
    private static partial void Disconnected(ILogger logger, string computer);
}
