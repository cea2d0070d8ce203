using System.Diagnostics;
using Dpm.Catalog;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Core.Licensing;
using Dpm.Core.Plugins;
using Dpm.Management;
using Dpm.Protection;
using Dpm.Storage;
using Dpm.Server.Agents;
using Dpm.Transfer;
using Dpm.Transfer.Wire;
using Microsoft.EntityFrameworkCore;

namespace Dpm.Server.Protection;

/// <summary>An outcome the API turns into a status: a value, or a problem with the HTTP status that fits it.</summary>
public sealed record Outcome<T>(T? Value, int Status, string? Problem);

/// <summary>Makes <see cref="Outcome{T}"/> values.</summary>
public static class Outcome
{
    public static Outcome<T> Ok<T>(T value) => new(value, StatusCodes.Status200OK, null);

    public static Outcome<T> Fail<T>(int status, string problem) => new(default, status, problem);
}

/// <summary>A job of this server was cancelled (the message says which, and why).</summary>
internal sealed class JobCancelledException(string message, Exception innerException, CancellationToken token) : OperationCanceledException(message, innerException, token);

/// <summary>
/// The server's in-process agent and recovery side: synchronizes data sources into the storage pool through
/// the workload plugins (the same engine an agent runs), lists recovery points and recoverable items, and
/// recovers. One synchronization per data source runs at a time; each is a job that can be cancelled.
/// </summary>
internal sealed class ProtectionService(
    PluginManager plugins,
    PoolHost pools,
    LicenceService licences,
    ProtectedComputer computer,
    CatalogHost catalog,
    RunningJobs jobs,
    AgentListener agents,
    AgentDispatcher dispatcher,
    ILoggerFactory logging)
{
    private readonly Dictionary<string, SemaphoreSlim> _running = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public async Task<DataSourceInquiry> InquireAsync(string? parentId, CancellationToken cancellationToken)
    {
        var found = new List<DataSourceInfo>();
        var failures = new List<string>();
        foreach (var workload in plugins.GetActive(PluginKind.Workload))
        {
            var parent = parentId is null ? null : new DataSource { Id = parentId, Name = parentId, Kind = "Folder", Location = DataSourceIds.PathOf(parentId) };
            var result = await plugins.ListAsync<IWorkloadPlugin, DataSource>(workload.Id, "DiscoverDataSources", (p, ct) => p.DiscoverDataSourcesAsync(parent, ct), cancellationToken);
            if (result.Succeeded)
            {
                found.AddRange(result.Value!.Select(ds => new DataSourceInfo(workload.Id, computer.Name, ds)));
            }
            else
            {
                failures.Add(result.Failure!);
            }
        }

        return new DataSourceInquiry(found, failures);
    }

    public async Task<Outcome<SynchronizationOutcome>> SynchronizeAsync(SynchronizationRequestDto request, CancellationToken cancellationToken, int attempt = 1)
    {
        if (request.Computer is { } other && other != computer.Name)
        {
            return await OnAgentAsync<SynchronizationOutcome>(
                other,
                new WorkItem
                {
                    Kind = WorkItem.Types.Kind.Synchronize, DataSourceId = request.DataSourceId, PluginId = request.PluginId ?? "", Include = { request.Include }, Exclude = { request.Exclude },
                    Incremental = request.Incremental,
                },
                await HasRecoveryPointAsync(other, request.DataSourceId, cancellationToken) ? JobType.ExpressFull : JobType.ReplicaCreation,
                attempt,
                cancellationToken);
        }

        var options = new ProtectionSessionOptions
        {
            Include = request.Include, Exclude = request.Exclude, Kind = request.Incremental ? SynchronizationKind.IncrementalSynchronization : SynchronizationKind.ExpressFull,
        };
        var outcome = await RunAsync(request.DataSourceId, request.PluginId, options, async (plugin, sync) =>
        {
            var clock = Stopwatch.StartNew();
            var type = await HasRecoveryPointAsync(computer.Name, sync.DataSource.Id, cancellationToken) ? JobType.ExpressFull : JobType.ReplicaCreation;
            var result = await AsJobAsync(
                type, sync, (job, ct) => AgentProtection.SynchronizeAsync(agents.LocalAgent, plugin, sync, job.Id.ToString(), job, logging, ct), r => r, cancellationToken, attempt);
            return Outcomes.ToOutcome(result, clock.Elapsed);
        }, cancellationToken);
        if (outcome.Status == StatusCodes.Status500InternalServerError)
        {
            await RaiseRecoveryPointFailedAsync(computer.Name, request.DataSourceId, outcome.Problem!);
        }

        return outcome;
    }

    /// <summary>Raises (or counts again) the data source's recovery-point-failed alert; the next point made resolves it.</summary>
    public Task RaiseRecoveryPointFailedAsync(string computerName, string dataSourceId, string problem) =>
        catalog.Alerts.RaiseAsync(AlertType.RecoveryPointFailed, AlertSeverity.Critical, $"{computerName}/{dataSourceId}", problem, CancellationToken.None);

    /// <summary>A synchronization that shipped logs (an incremental recovery point) is a synchronization job, not an express full.</summary>
    private static JobType? TurnedOut(JobType type, RecoveryPointKind? made) =>
        type == JobType.ExpressFull && made == RecoveryPointKind.Incremental ? JobType.Synchronization : null;

    private async Task<bool> HasRecoveryPointAsync(string computerName, string dataSourceId, CancellationToken cancellationToken)
    {
        await using var context = catalog.Open();
        return await context.RecoveryPoints.AnyAsync(p => p.ComputerName == computerName && p.DataSourceId == dataSourceId, cancellationToken);
    }

    /// <summary>
    /// Has another computer's agent do work as a job of this server (the agent sends its recovery point over the
    /// data API, which puts it in the catalog), and waits for it: its progress goes to the job, a cancel to the agent.
    /// </summary>
    private async Task<Outcome<T>> OnAgentAsync<T>(string computerName, WorkItem item, JobType type, int attempt, CancellationToken cancellationToken)
    {
        await using (var context = catalog.Open())
        {
            var row = await context.Computers.AsNoTracking().SingleOrDefaultAsync(c => c.Name == computerName, cancellationToken);
            if (row?.CertificateThumbprint is null || row.RevokedAt is not null)
            {
                return Outcome.Fail<T>(StatusCodes.Status409Conflict, $"{computerName} has no attached agent (dpm agent attach {computerName}, then dpm-agent attach and run there)");
            }
        }

        using var job = await jobs.StartAsync(type, item.DataSourceId, cancellationToken, attempt);
        item.JobId = job.Id.ToString();
        try
        {
            var report = await dispatcher.RunAsync(computerName, item, job);
            if (report.Cancelled || job.Token.IsCancellationRequested)
            {
                await job.EndAsync(JobState.Cancelled, job.Progress.BytesDone, job.Progress.ItemsDone, job.CancelReason);
                return Outcome.Fail<T>(StatusCodes.Status409Conflict, $"job {job.Id} ({type} of '{item.DataSourceId}' on {computerName}) was {job.CancelReason}; no recovery point was made");
            }

            if (!report.Succeeded)
            {
                throw new AgentUnavailableException(report.Error);
            }

            var value = System.Text.Json.JsonSerializer.Deserialize<T>(report.OutcomeJson, ManagementJson.Options)!;
            await job.EndAsync(JobState.Succeeded, job.Progress.BytesDone, job.Progress.ItemsDone, null, TurnedOut(type, (value as SynchronizationOutcome)?.RecoveryPoint.Kind));
            return Outcome.Ok(value);
        }
        catch (AgentUnavailableException ex)
        {
            await job.EndAsync(JobState.Failed, job.Progress.BytesDone, job.Progress.ItemsDone, ex.Message);
            var problem = $"the work on '{item.DataSourceId}' of {computerName} failed: {ex.Message}";
            if (item.Kind == WorkItem.Types.Kind.Synchronize)
            {
                await RaiseRecoveryPointFailedAsync(computerName, item.DataSourceId, problem);
            }

            return Outcome.Fail<T>(StatusCodes.Status500InternalServerError, problem);
        }
    }

    public async Task<Outcome<ConsistencyCheckResultDto>> CheckConsistencyAsync(ConsistencyCheckRequestDto request, CancellationToken cancellationToken) =>
        request.Computer is { } other && other != computer.Name
            ? await OnAgentAsync<ConsistencyCheckResultDto>(
                other, new WorkItem { Kind = WorkItem.Types.Kind.ConsistencyCheck, DataSourceId = request.DataSourceId, PluginId = request.PluginId ?? "", Heavy = request.Heavy }, JobType.ConsistencyCheck, 1, cancellationToken)
            : await RunAsync(request.DataSourceId, request.PluginId, new ProtectionSessionOptions(), async (plugin, sync) =>
        {
            var clock = Stopwatch.StartNew();
            var level = request.Heavy ? ConsistencyCheckLevel.Heavy : ConsistencyCheckLevel.Light;
            var result = await AsJobAsync(
                JobType.ConsistencyCheck,
                sync,
                (job, ct) => AgentProtection.CheckConsistencyAsync(agents.LocalAgent, plugin, sync, level, job.Id.ToString(), job, logging, ct),
                r => r.Repair,
                cancellationToken);
            return Outcomes.ToCheck(result, clock.Elapsed);
        }, cancellationToken);

    /// <summary>
    /// Runs work as a job of this server: a catalog row with the work's progress, cancelled when someone asks (or
    /// when the request that started it goes away), then finished with its result. The recovery point the work
    /// made (if any) went into the catalog, with its alerts settled, when the server committed it. Cancelled work
    /// made no recovery point: the server drops one that was not committed.
    /// </summary>
    private async Task<T> AsJobAsync<T>(
        JobType type, SynchronizationRequest sync, Func<RunningJob, CancellationToken, Task<T>> work, Func<T, SynchronizationResult?> recoveryPoint, CancellationToken cancellationToken, int attempt = 1)
    {
        using var job = await jobs.StartAsync(type, sync.DataSource.Id, cancellationToken, attempt);
        try
        {
            var result = await work(job, job.Token);
            var made = recoveryPoint(result);
            var stats = made?.RecoveryPoint.Stats;
            await job.EndAsync(JobState.Succeeded, stats?.BytesRead ?? job.Progress.BytesDone, stats?.Items ?? job.Progress.ItemsDone, null, TurnedOut(type, made?.RecoveryPoint.Kind));
            return result;
        }
        catch (OperationCanceledException ex) when (job.Token.IsCancellationRequested)
        {
            await job.EndAsync(JobState.Cancelled, job.Progress.BytesDone, job.Progress.ItemsDone, job.CancelReason);
            throw new JobCancelledException($"job {job.Id} ({type} of '{sync.DataSource.Id}') was {job.CancelReason}; no recovery point was made", ex, job.Token);
        }
        catch (Exception ex)
        {
            await job.EndAsync(JobState.Failed, job.Progress.BytesDone, job.Progress.ItemsDone, ex.Message);
            throw;
        }
    }


    /// <summary>
    /// The common part of synchronization and consistency check: the pool, the plugin, the licence, one run per
    /// data source at a time, the latest recovery point to continue from, and errors turned into problems.
    /// </summary>
    private async Task<Outcome<T>> RunAsync<T>(
        string dataSourceId, string? requestedPlugin, ProtectionSessionOptions options, Func<IWorkloadPlugin, SynchronizationRequest, Task<T>> work, CancellationToken cancellationToken)
    {
        if (pools.Pool is null)
        {
            return Outcome.Fail<T>(StatusCodes.Status503ServiceUnavailable, pools.Problem!);
        }

        var pluginId = requestedPlugin ?? DataSourceIds.DefaultPlugin(dataSourceId);
        if (pluginId is null)
        {
            return Outcome.Fail<T>(StatusCodes.Status400BadRequest, $"say which workload plugin protects '{dataSourceId}'");
        }

        if (!plugins.TryGetActive<IWorkloadPlugin>(pluginId, out var plugin, out var reason))
        {
            return Outcome.Fail<T>(StatusCodes.Status409Conflict, reason);
        }

        var tier = plugins.GetActive(PluginKind.Workload).First(m => m.Id == pluginId).RequiredTier;
        var grant = licences.Consume(computer.Name, tier);
        if (!grant.Granted)
        {
            return Outcome.Fail<T>(StatusCodes.Status409Conflict, grant.Message);
        }

        var dataSource = DataSourceIds.ToDataSource(dataSourceId);
        var gate = GateOf(dataSourceId);
        if (!await gate.WaitAsync(TimeSpan.Zero, cancellationToken))
        {
            return Outcome.Fail<T>(StatusCodes.Status409Conflict, $"a synchronization or check of '{dataSourceId}' is already running");
        }

        try
        {
            var sync = new SynchronizationRequest { PluginId = pluginId, DataSource = dataSource, Computer = computer.Name, Options = options };
            return Outcome.Ok(await work(plugin, sync));
        }
        catch (ArgumentException ex)
        {
            return Outcome.Fail<T>(StatusCodes.Status400BadRequest, ex.Message);
        }
        catch (JobCancelledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Someone cancelled the job while this request waited for it.
            return Outcome.Fail<T>(StatusCodes.Status409Conflict, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or PoolDataException or UnauthorizedAccessException or InvalidOperationException)
        {
            return Outcome.Fail<T>(StatusCodes.Status500InternalServerError, $"the work on '{dataSourceId}' failed: {ex.Message}");
        }
        finally
        {
            gate.Release();
        }
    }


    /// <summary>The recovery points the catalog lists (of one data source, or all), oldest first.</summary>
    public async Task<Outcome<IReadOnlyList<RecoveryPointSummary>>> ListRecoveryPointsAsync(string? dataSourceId, CancellationToken cancellationToken)
    {
        await using var context = catalog.Open();
        var rows = await context.RecoveryPoints.AsNoTracking()
            .Where(p => dataSourceId == null || p.DataSourceId == dataSourceId)
            .Join(context.DataSources, p => new { p.ComputerName, Id = p.DataSourceId }, d => new { d.ComputerName, d.Id }, (p, d) => new { Point = p, d.Name, d.PluginId })
            .ToListAsync(cancellationToken);
        return Outcome.Ok<IReadOnlyList<RecoveryPointSummary>>([.. rows.OrderBy(r => r.Point.CreatedAt).ThenBy(r => r.Point.Id, StringComparer.Ordinal).Select(r => new RecoveryPointSummary
        {
            Id = r.Point.Id,
            DataSourceId = r.Point.DataSourceId,
            DataSourceName = r.Name,
            PluginId = r.PluginId,
            Computer = r.Point.ComputerName,
            CreatedAt = r.Point.CreatedAt,
            Kind = Enum.Parse<RecoveryPointKind>(r.Point.Kind),
            Consistency = Enum.Parse<SnapshotConsistency>(r.Point.Consistency),
            Items = r.Point.Items,
            Bytes = r.Point.Bytes,
            BytesRead = r.Point.BytesRead,
            NewBytes = r.Point.NewBytes,
            StoredBytes = r.Point.StoredBytes,
        })]);
    }

    /// <summary>The recoverable items under a path, or (with <paramref name="search"/>) every item whose name contains it.</summary>
    public async Task<Outcome<IReadOnlyList<RecoverableItem>>> ListRecoverableItemsAsync(string recoveryPointId, string path, string? search, CancellationToken cancellationToken)
    {
        var (reader, problem) = await OpenAsync(recoveryPointId, cancellationToken);
        if (reader is null)
        {
            return Outcome.Fail<IReadOnlyList<RecoverableItem>>(problem!.Value.Status, problem.Value.Text);
        }

        if (search is { Length: > 0 })
        {
            var matches = reader.Manifest.Items
                .Where(i => i.Item.Path.StartsWith(path, StringComparison.Ordinal) && Path.GetFileName(i.Item.Path).Contains(search, StringComparison.OrdinalIgnoreCase))
                .Take(1000)
                .Select(i => new RecoverableItem(i.Item.Path, Path.GetFileName(i.Item.Path), i.Item.Kind, i.Item.Length, i.Item.Kind == ProtectedItemKind.Directory, i.Item.LastWriteTime))
                .ToList();
            return Outcome.Ok<IReadOnlyList<RecoverableItem>>(matches);
        }

        var pluginId = reader.Manifest.PluginId ?? DataSourceIds.FilesPlugin;
        var listed = await plugins.ListAsync<IWorkloadPlugin, RecoverableItem>(pluginId, "ListRecoverableItems", (p, ct) => p.ListRecoverableItemsAsync(reader, path, ct), cancellationToken);
        return listed.Succeeded
            ? Outcome.Ok<IReadOnlyList<RecoverableItem>>(listed.Value!)
            : Outcome.Fail<IReadOnlyList<RecoverableItem>>(StatusCodes.Status409Conflict, listed.Failure!);
    }

    public async Task<Outcome<RecoveryResult>> RecoverAsync(RecoveryRequestDto request, CancellationToken cancellationToken)
    {
        var (reader, problem) = await OpenAsync(request.RecoveryPointId, cancellationToken);
        if (reader is null)
        {
            return Outcome.Fail<RecoveryResult>(problem!.Value.Status, problem.Value.Text);
        }

        if (request.Destination != RecoveryDestination.OriginalLocation && string.IsNullOrWhiteSpace(request.Path))
        {
            return Outcome.Fail<RecoveryResult>(StatusCodes.Status400BadRequest, "an alternate or copy-to-folder recovery needs a target path");
        }

        var pluginId = reader.Manifest.PluginId ?? DataSourceIds.FilesPlugin;
        if (!plugins.TryGetActive<IWorkloadPlugin>(pluginId, out var plugin, out var reason))
        {
            return Outcome.Fail<RecoveryResult>(StatusCodes.Status409Conflict, reason);
        }

        if (reader.Manifest.Computer != computer.Name)
        {
            return Outcome.Fail<RecoveryResult>(
                StatusCodes.Status409Conflict, $"recovery point {request.RecoveryPointId} is of {reader.Manifest.Computer ?? "an unknown computer"}: the agent of that computer recovers it (dpm-agent recover)");
        }

        var target = new RecoveryTarget(request.Destination, request.Path);
        var options = new RecoveryOptions { ExistingItems = request.ExistingItems, RestoreSecurity = request.RestoreSecurity, PointInTime = request.PointInTime, LeaveNonOperational = request.LeaveNonOperational };
        if (request.Items.Count > 0 && plugin is not IItemLevelRecovery)
        {
            return Outcome.Fail<RecoveryResult>(StatusCodes.Status400BadRequest, $"plugin '{pluginId}' recovers whole data sources only");
        }

        try
        {
            return Outcome.Ok(await RunJobAsync(
                JobType.Recovery,
                reader.Manifest.DataSourceId,
                async (progress, ct) =>
                {
                    // The data comes back the way an agent's does: over the data API, checked chunk by chunk.
                    var point = await AgentProtection.OpenRecoveryPointAsync(agents.LocalAgent, request.RecoveryPointId, compress: false, ct);
                    return request.Items.Count == 0
                        ? await plugin.RecoverAsync(point, new RecoveryRequest { Target = target, Options = options }, progress, ct)
                        : await ((IItemLevelRecovery)plugin).RecoverItemsAsync(point, new ItemRecoveryRequest { Target = target, Options = options, Items = request.Items }, progress, ct);
                },
                r => (r.BytesRecovered, r.ItemsRecovered, r.Outcome == RecoveryOutcome.Failed ? $"{r.Failures.Count} items failed" : null),
                cancellationToken));
        }
        catch (JobCancelledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return Outcome.Fail<RecoveryResult>(StatusCodes.Status409Conflict, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or PoolDataException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            return Outcome.Fail<RecoveryResult>(StatusCodes.Status500InternalServerError, $"the recovery failed: {ex.Message}");
        }
    }

    /// <summary>
    /// Runs work that makes no recovery point (a recovery, a verify) as a job of this server: its progress, a
    /// cancel, and how it ended (<paramref name="ending"/> gives the bytes, the items and the error, if any).
    /// </summary>
    private async Task<T> RunJobAsync<T>(
        JobType type, string? dataSourceId, Func<IProgress<ProgressReport>, CancellationToken, Task<T>> work, Func<T, (long Bytes, long Items, string? Error)> ending, CancellationToken cancellationToken)
    {
        using var job = await jobs.StartAsync(type, dataSourceId, cancellationToken);
        try
        {
            var result = await work(job, job.Token);
            var (bytes, items, error) = ending(result);
            await job.EndAsync(error is null ? JobState.Succeeded : JobState.Failed, bytes, items, error);
            return result;
        }
        catch (OperationCanceledException ex) when (job.Token.IsCancellationRequested)
        {
            await job.EndAsync(JobState.Cancelled, job.Progress.BytesDone, job.Progress.ItemsDone, job.CancelReason);
            throw new JobCancelledException($"job {job.Id} ({type}) was {job.CancelReason}", ex, job.Token);
        }
        catch (Exception ex)
        {
            await job.EndAsync(JobState.Failed, job.Progress.BytesDone, job.Progress.ItemsDone, ex.Message);
            throw;
        }
    }

    public async Task<Outcome<PoolVerification>> VerifyAsync(double fraction, CancellationToken cancellationToken)
    {
        if (pools.Pool is not { } pool)
        {
            return Outcome.Fail<PoolVerification>(StatusCodes.Status503ServiceUnavailable, pools.Problem!);
        }

        VerifyReport report;
        try
        {
            report = await RunJobAsync(
                JobType.Verify,
                null,
                (progress, ct) => pool.VerifyAsync(new VerifyOptions { Fraction = fraction }, progress, ct),
                r => (r.BytesChecked, r.ChunksChecked, r.Damaged.Count + r.Problems.Count == 0 ? null : $"{r.Damaged.Count} damaged recovery points, {r.Problems.Count} problems"),
                cancellationToken);
        }
        catch (JobCancelledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return Outcome.Fail<PoolVerification>(StatusCodes.Status409Conflict, ex.Message);
        }

        return Outcome.Ok<PoolVerification>(new PoolVerification
        {
            RecoveryPoints = report.RecoveryPoints,
            PacksChecked = report.PacksChecked,
            BytesChecked = report.BytesChecked,
            ChunksChecked = report.ChunksChecked,
            Damaged = [.. report.Damaged.Select(d => new DamagedRecoveryPointInfo(d.Id, d.DataSourceName, d.Reasons))],
            Problems = report.Problems,
        });
    }

    public async Task<Outcome<CatalogRebuildResult>> RebuildCatalogAsync(CancellationToken cancellationToken)
    {
        if (pools.Pool is not { } pool)
        {
            return Outcome.Fail<CatalogRebuildResult>(StatusCodes.Status503ServiceUnavailable, pools.Problem!);
        }

        var report = await CatalogRebuilder.RebuildAsync(pool, pools.Location, catalog.Open, cancellationToken);
        return Outcome.Ok(new CatalogRebuildResult
        {
            RecoveryPoints = report.RecoveryPoints,
            DataSources = report.DataSources,
            Computers = report.Computers,
            Damaged = [.. report.Damaged.Select(d => $"{d.ObjectName}: {d.Problem}")],
        });
    }

    public async Task<Outcome<string>> RebuildIndexAsync(CancellationToken cancellationToken)
    {
        if (pools.Pool is not { } pool)
        {
            return Outcome.Fail<string>(StatusCodes.Status503ServiceUnavailable, pools.Problem!);
        }

        var (packs, chunks, problems) = await pool.RebuildIndexAsync(cancellationToken);
        return Outcome.Ok<string>($"index rebuilt from {packs} packs: {chunks} chunks" + (problems.Count == 0 ? "" : $"; problems: {string.Join("; ", problems)}"));
    }

    public async Task<PoolInfo> GetPoolAsync(CancellationToken cancellationToken)
    {
        if (pools.Pool is not { } pool)
        {
            return new PoolInfo { Location = pools.Location, IsOpen = false, Problem = pools.Problem };
        }

        var space = await pool.Store.GetSpaceAsync(cancellationToken);
        return new PoolInfo
        {
            Location = pool.Store.Location,
            IsOpen = true,
            Id = pool.Config.Id,
            Encryption = pool.Config.Encryption,
            RecoveryPoints = (await pool.ListRecoveryPointIdsAsync(cancellationToken)).Count,
            TotalBytes = space.TotalBytes,
            FreeBytes = space.FreeBytes,
        };
    }

    private async Task<(RecoveryPointReader? Reader, (int Status, string Text)? Problem)> OpenAsync(string recoveryPointId, CancellationToken cancellationToken)
    {
        if (pools.Pool is not { } pool)
        {
            return (null, (StatusCodes.Status503ServiceUnavailable, pools.Problem!));
        }

        try
        {
            var reader = await pool.OpenRecoveryPointAsync(recoveryPointId, cancellationToken);
            return reader is null ? (null, (StatusCodes.Status404NotFound, $"there is no recovery point '{recoveryPointId}'")) : (reader, null);
        }
        catch (PoolDataException ex)
        {
            return (null, (StatusCodes.Status500InternalServerError, ex.Message));
        }
    }

    private SemaphoreSlim GateOf(string dataSourceId)
    {
        lock (_gate)
        {
            return _running.TryGetValue(dataSourceId, out var gate) ? gate : _running[dataSourceId] = new SemaphoreSlim(1, 1);
        }
    }

}
