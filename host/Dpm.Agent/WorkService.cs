using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Core.Hosting;
using Dpm.Core.Plugins;
using Dpm.Management;
using Dpm.Protection;
using Dpm.Transfer;
using Dpm.Transfer.Wire;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dpm.Agent;

/// <summary>
/// While <c>dpm-agent run</c> runs on an attached computer, keeps the standing call open on which the server
/// sends work as its schedule fires: synchronizations and consistency checks of this computer's data sources
/// (each reported back with its progress and how it ended) and cancels. A dropped call is opened again.
/// </summary>
internal sealed partial class WorkService(PluginManager plugins, IOptions<DpmHostOptions> host, ILoggerFactory logging, ILogger<WorkService> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var identity = AgentIdentity.Folder(host.Value.DataDirectory);
        if (!Directory.Exists(identity))
        {
            return; // the heartbeat service says so
        }

        using var connection = AgentIdentity.ConnectReplica(identity, logger);
        var version = typeof(WorkService).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var call = connection.Client.Work(new WorkRequest { Version = version }, cancellationToken: stoppingToken);
                Listening(logger, connection.Server);
                await foreach (var item in call.ResponseStream.ReadAllAsync(stoppingToken))
                {
                    Take(connection, item, stoppingToken);
                }
            }
            catch (RpcException ex) when (!stoppingToken.IsCancellationRequested)
            {
                Lost(logger, connection.Server, ex.Status.Detail);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Take(ReplicaConnection connection, WorkItem item, CancellationToken stoppingToken)
    {
        if (item.Kind == WorkItem.Types.Kind.Cancel)
        {
            if (_running.TryGetValue(item.JobId, out var running))
            {
                running.Cancel();
            }

            return;
        }

        var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        if (!_running.TryAdd(item.JobId, cancel))
        {
            cancel.Dispose();
            return; // sent again after the call was opened anew: it runs already
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await DoAsync(connection, item, cancel.Token);
            }
            finally
            {
                _running.TryRemove(item.JobId, out _);
                cancel.Dispose();
            }
        }, CancellationToken.None);
    }

    /// <summary>Runs one piece of work and reports how it ended (the report is tried again while the server is away).</summary>
    private async Task DoAsync(ReplicaConnection connection, WorkItem item, CancellationToken cancellationToken)
    {
        var report = new WorkReport { JobId = item.JobId, Done = true };
        var clock = Stopwatch.StartNew();
        try
        {
            var pluginId = item.PluginId.Length > 0 ? item.PluginId : DataSourceIds.DefaultPlugin(item.DataSourceId)
                ?? throw new InvalidOperationException($"no workload plugin is named for '{item.DataSourceId}'");
            if (!plugins.TryGetActive<IWorkloadPlugin>(pluginId, out var plugin, out var reason))
            {
                throw new InvalidOperationException(reason);
            }

            var request = new SynchronizationRequest
            {
                PluginId = pluginId,
                DataSource = DataSourceIds.ToDataSource(item.DataSourceId),
                Options = new ProtectionSessionOptions
                {
                    Include = [.. item.Include],
                    Exclude = [.. item.Exclude],
                    Kind = item.Incremental ? SynchronizationKind.IncrementalSynchronization : SynchronizationKind.ExpressFull,
                },
            };
            var progress = new ProgressReporter(connection, item.JobId);
            object outcome = item.Kind == WorkItem.Types.Kind.ConsistencyCheck
                ? Outcomes.ToCheck(await AgentProtection.CheckConsistencyAsync(connection, plugin, request, item.Heavy ? ConsistencyCheckLevel.Heavy : ConsistencyCheckLevel.Light, item.JobId, progress, logging, cancellationToken), clock.Elapsed)
                : Outcomes.ToOutcome(await AgentProtection.SynchronizeAsync(connection, plugin, request, item.JobId, progress, logging, cancellationToken), clock.Elapsed);
            report.Succeeded = true;
            report.OutcomeJson = JsonSerializer.Serialize(outcome, ManagementJson.Options);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            report.Cancelled = true;
            report.Error = "cancelled";
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or ArgumentException or Dpm.Storage.PoolDataException)
        {
            report.Error = ex.Message;
        }

        Done(logger, item.Kind, item.DataSourceId, report.Error);
        try
        {
            await connection.CallAsync("report how the work ended", o => connection.Client.ReportWorkAsync(report, o).ResponseAsync, CancellationToken.None);
        }
        catch (InvalidOperationException ex)
        {
            Lost(logger, connection.Server, ex.Message);
        }
    }

    /// <summary>Sends the work's progress to the server, at most once a second, without waiting for it.</summary>
    private sealed class ProgressReporter(ReplicaConnection connection, string jobId) : IProgress<ProgressReport>
    {
        private long _last;

        public void Report(ProgressReport value)
        {
            var now = Environment.TickCount64;
            if (now - Interlocked.Read(ref _last) < 1000)
            {
                return;
            }

            Interlocked.Exchange(ref _last, now);
            var report = new WorkReport { JobId = jobId, BytesDone = value.BytesDone, ItemsDone = value.ItemsDone, CurrentItem = value.CurrentItem ?? "" };
            _ = connection.Client.ReportWorkAsync(report).ResponseAsync.ContinueWith(t => t.Exception, TaskScheduler.Default);
        }
    }

    [LoggerMessage(EventId = 80, Level = LogLevel.Information, Message = "Taking work from the server at {Server}")]
    private static partial void Listening(ILogger logger, Uri server);

    [LoggerMessage(EventId = 81, Level = LogLevel.Warning, Message = "The server at {Server} can't be reached for work ({Problem}); trying again")]
    private static partial void Lost(ILogger logger, Uri server, string problem);

    [LoggerMessage(EventId = 82, Level = LogLevel.Information, Message = "{Kind} of '{DataSource}' ended {Error}")]
    private static partial void Done(ILogger logger, WorkItem.Types.Kind kind, string dataSource, string error);
}
