using Dpm.Catalog;
using Dpm.Contracts.Spi;
using Dpm.Management;
using Dpm.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dpm.Server.Protection;

/// <summary>The long-term copy of the storage pool in the cloud (or any other store a storage plugin opens).</summary>
public sealed class CloudCopyOptions
{
    public const string Section = "Dpm:CloudCopy";

    /// <summary>The storage plugin that keeps the copy.</summary>
    public string Plugin { get; set; } = "Dpm.Storage.Cloud";

    /// <summary>How long a recovery point stays in the copy after it was made (and is locked there, where the store can lock).</summary>
    public int RetentionDays { get; set; } = 90;

    /// <summary>The protection groups whose recovery points go to the copy; none named: every point of the pool.</summary>
    public List<string> Groups { get; set; } = [];
}

/// <summary>
/// Copies the server's recovery points to the long-term copy that <c>Dpm:CloudCopy:Settings</c> describes (the
/// storage plugin's settings): every point not there yet, kept for <see cref="CloudCopyOptions.RetentionDays"/>
/// and locked that long where the store can lock, each pack it uses too. Points whose time there is over are
/// removed from the copy (the last one stays). Each run is a CloudCopy job; the catalog records every copy with
/// its expiry. The copy is a pool of its own: a server whose own pool is lost opens it with the same key file.
/// </summary>
internal sealed partial class CloudCopyService(
    Dpm.Core.Plugins.PluginManager plugins, PoolHost pools, CatalogHost catalog, IOptions<CloudCopyOptions> options, IConfiguration configuration, TimeProvider time, ILogger<CloudCopyService> logger)
{
    private int _running;

    public bool IsConfigured => configuration.GetSection($"{CloudCopyOptions.Section}:Settings").Exists();

    public async Task<Outcome<CloudCopyResult>> RunAsync(CancellationToken cancellationToken)
    {
        if (!IsConfigured)
        {
            return Outcome.Fail<CloudCopyResult>(StatusCodes.Status409Conflict, $"no cloud copy is configured ({CloudCopyOptions.Section}:Settings)");
        }

        if (pools.Pool is not { } pool)
        {
            return Outcome.Fail<CloudCopyResult>(StatusCodes.Status503ServiceUnavailable, pools.Problem!);
        }

        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return Outcome.Fail<CloudCopyResult>(StatusCodes.Status409Conflict, "a cloud copy is running already");
        }

        try
        {
            return await RunJobAsync(pool, cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task<Outcome<CloudCopyResult>> RunJobAsync(StoragePool pool, CancellationToken cancellationToken)
    {
        var job = await catalog.Jobs.StartAsync(JobType.CloudCopy, null, catalog.ServerName, cancellationToken);
        try
        {
            var opened = await plugins.CallAsync<IStoragePlugin, IObjectStore>(
                options.Value.Plugin, "OpenStore", (p, ct) => p.OpenStoreAsync(configuration.GetSection($"{CloudCopyOptions.Section}:Settings"), ct), cancellationToken);
            if (!opened.Succeeded)
            {
                await catalog.Jobs.FinishAsync(job.Id, JobState.Failed, 0, 0, opened.Failure, CancellationToken.None);
                return Outcome.Fail<CloudCopyResult>(StatusCodes.Status502BadGateway, $"the cloud copy's store can't be opened: {opened.Failure}");
            }

            await using var target = opened.Value!;
            var result = await CopyAsync(pool, target, cancellationToken);
            await catalog.Jobs.FinishAsync(job.Id, JobState.Succeeded, result.BytesCopied, result.RecoveryPointsCopied, null, CancellationToken.None);
            Copied(logger, result.RecoveryPointsCopied, result.BytesCopied, target.Location);
            return Outcome.Ok(result with { JobId = job.Id });
        }
        catch (Exception ex) when (ex is IOException or PoolDataException or InvalidOperationException or HttpRequestException or OperationCanceledException)
        {
            await catalog.Jobs.FinishAsync(job.Id, ex is OperationCanceledException ? JobState.Cancelled : JobState.Failed, 0, 0, ex.Message, CancellationToken.None);
            return Outcome.Fail<CloudCopyResult>(StatusCodes.Status502BadGateway, $"the cloud copy failed: {ex.Message}");
        }
    }

    private async Task<CloudCopyResult> CopyAsync(StoragePool pool, IObjectStore target, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var retention = TimeSpan.FromDays(options.Value.RetentionDays);
        await using var context = catalog.Open();
        var points = await context.RecoveryPoints.Where(p => p.Copies.Any(c => c.Location == CopyLocation.Disk && c.Target == pools.Location)).ToListAsync(cancellationToken);
        var groups = options.Value.Groups;
        var members = groups.Count == 0
            ? null
            : (await context.ProtectionGroups.Where(g => groups.Contains(g.Name)).SelectMany(g => g.Members).Select(m => new { m.ComputerName, m.Id }).ToListAsync(cancellationToken))
                .Select(m => (m.ComputerName, m.Id)).ToHashSet();
        var missing = points.Where(p => !p.Copies.Any(c => c.Location == CopyLocation.Cloud && c.Target == target.Location)
            && (members is null || members.Contains((p.ComputerName, p.DataSourceId)))).ToList();
        var manifests = new List<Dpm.Storage.Manifests.RecoveryPointManifest>();
        foreach (var point in missing)
        {
            if (await pool.ReadManifestAsync(point.Id, cancellationToken) is { } manifest)
            {
                manifests.Add(manifest);
            }
        }

        var report = await PoolCopier.CopyAsync(pool, target, manifests, m => m.CreatedAt + retention, null, cancellationToken);
        foreach (var point in missing.Where(p => manifests.Any(m => m.Id == p.Id)))
        {
            point.Copies.Add(new RecoveryPointCopy { Location = CopyLocation.Cloud, Target = target.Location, ExpiresAt = point.CreatedAt + retention });
        }

        // Points whose time in the copy is over leave it (their manifest; garbage collection of the copy frees their packs).
        var expired = points.Where(p => p.Copies.Any(c => c.Location == CopyLocation.Cloud && c.Target == target.Location && c.ExpiresAt <= now)).ToList();
        var newest = points.GroupBy(p => (p.ComputerName, p.DataSourceId)).Select(g => g.MaxBy(p => p.CreatedAt)!.Id).ToHashSet(StringComparer.Ordinal);
        var removed = 0;
        foreach (var point in expired.Where(p => !newest.Contains(p.Id)))
        {
            await target.DeleteAsync(Dpm.Storage.Manifests.RecoveryPointManifest.ObjectNameOf(point.ComputerName, point.DataSourceId, point.Id), cancellationToken);
            point.Copies.RemoveAll(c => c.Location == CopyLocation.Cloud && c.Target == target.Location);
            removed++;
        }

        await context.SaveChangesAsync(cancellationToken);
        return new CloudCopyResult
        {
            Target = target.Location,
            RecoveryPointsCopied = report.RecoveryPoints,
            ObjectsCopied = report.ObjectsCopied,
            BytesCopied = report.BytesCopied,
            ObjectsLocked = report.ObjectsLocked,
            RecoveryPointsExpired = removed,
        };
    }

    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "Cloud copy: {Points} recovery points, {Bytes} bytes copied to {Target}")]
    private static partial void Copied(ILogger logger, int points, long bytes, string target);
}
