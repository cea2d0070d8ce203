using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Storage;
using Dpm.Storage.Manifests;
using Microsoft.Extensions.Logging;

namespace Dpm.Protection;

/// <summary>What a synchronization is asked to do.</summary>
public sealed record SynchronizationRequest
{
    public required string PluginId { get; init; }
    public required DataSource DataSource { get; init; }
    public ProtectionSessionOptions Options { get; init; } = new();
    public string? Computer { get; init; }

    /// <summary>The recovery point to continue from (the replica's latest); null for replica creation.</summary>
    public RecoveryPointManifest? Previous { get; init; }

    /// <summary>How many times a file that changed while it was read is read again before it is reported.</summary>
    public int TornReadRetries { get; init; } = 3;

    /// <summary>Items to read in full whatever their metadata says (a consistency check's repairs).</summary>
    public IReadOnlySet<string> ForceRead { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Compare with the replica in full instead of following the plugin's change token (after a consistency check).</summary>
    public bool IgnoreChangeToken { get; init; }

    /// <summary>Why the recovery point this makes repairs the replica, when it does.</summary>
    public string? RepairReason { get; init; }
}

/// <summary>One difference a consistency check found between the data source and the replica.</summary>
public sealed record Inconsistency(string Path, string Reason);

/// <summary>What a consistency check found and what it did about it.</summary>
public sealed record ConsistencyCheckOutcome
{
    public required ConsistencyCheckLevel Level { get; init; }
    public required long ItemsCompared { get; init; }
    public long BytesCompared { get; init; }
    public required IReadOnlyList<Inconsistency> Inconsistencies { get; init; }

    /// <summary>The recovery point that repaired the replica, when there was anything to repair.</summary>
    public SynchronizationResult? Repair { get; init; }

    public bool WasConsistent => Inconsistencies.Count == 0;
}

/// <summary>What a synchronization did.</summary>
public sealed record SynchronizationResult
{
    public required RecoveryPointManifest RecoveryPoint { get; init; }

    /// <summary>Why the plugin listed every item instead of changes (journal lost, no previous point...), if it did.</summary>
    public string? FullEnumerationReason { get; init; }

    public string? FreezeNotSupportedReason { get; init; }
    public long ItemsRead { get; init; }
    public long ItemsReused { get; init; }

    /// <summary>Files that kept changing while they were read: they are not in the recovery point, and are reported.</summary>
    public IReadOnlyList<string> ChangedWhileRead { get; init; } = [];

    /// <summary>Files that disappeared before they could be read.</summary>
    public IReadOnlyList<string> Vanished { get; init; } = [];

    /// <summary>Where the time went: taking the snapshot, going through the items, committing the recovery point.</summary>
    public (TimeSpan Snapshot, TimeSpan Items, TimeSpan Commit) Timings { get; init; }

    /// <summary>How many items the plugin listed: every item for a full comparison, the changed ones otherwise.</summary>
    public long ItemsListed { get; init; }

    /// <summary>Why the replica was found possibly inconsistent (the plugin lost track of changes), if it was.</summary>
    public string? ReplicaInconsistentReason { get; init; }

    /// <summary>The consistency check that ran because the replica was possibly inconsistent; this recovery point is its repair.</summary>
    public ConsistencyCheckOutcome? ConsistencyCheck { get; init; }
}

/// <summary>
/// Runs a synchronization (replica creation or express full): the plugin's writer semantics (prepare, freeze,
/// snapshot, thaw — thaw always), then every item it reports goes into a new recovery point. An unchanged file
/// (same length, write time, change time) reuses the previous point's chunks without being read. Nothing that
/// changed while it was read is recorded as if it were consistent.
/// </summary>
public sealed partial class ProtectionEngine(IReplicaTarget pool, ILogger<ProtectionEngine> logger)
{
    public async Task<SynchronizationResult> SynchronizeAsync(IWorkloadPlugin plugin, SynchronizationRequest request, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        ArgumentNullException.ThrowIfNull(request);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var session = await plugin.OpenProtectionSessionAsync(request.DataSource, request.Options, cancellationToken);
        if (request.Options.Kind == SynchronizationKind.IncrementalSynchronization && session is IIncrementalSynchronization logs && request.Previous?.ChangeToken is { } logToken)
        {
            await using var shipment = await logs.BeginLogShipmentAsync(new ChangeToken(logToken), cancellationToken);
            if (shipment.Continuity == LogContinuity.Continuous)
            {
                return await StoreLogsAsync(shipment, request, progress, cancellationToken);
            }

            // A log is missing: the chain can't go on, so this synchronization is an express full, and says why.
            var gap = $"the log chain is broken ({shipment.GapDescription ?? "a log is missing"}); an express full was taken instead";
            Log.LogGap(logger, request.DataSource.Name, gap);
            request = request with { RepairReason = gap };
        }

        await session.PrepareAsync(cancellationToken);
        FreezeOutcome freeze;
        IDataSourceSnapshot snapshot;
        try
        {
            freeze = await session.FreezeAsync(cancellationToken);
            snapshot = await session.TakeSnapshotAsync(cancellationToken);
        }
        finally
        {
            await session.ThawAsync(CancellationToken.None);
        }

        var snapshotTime = clock.Elapsed;
        await using (snapshot)
        {
            var since = !request.IgnoreChangeToken && request.Previous?.ChangeToken is { } token ? new ChangeToken(token) : null;
            var changes = await snapshot.EnumerateChangesAsync(since, cancellationToken);
            SynchronizationResult result;
            if (changes.ReplicaInconsistent && request.Previous is not null)
            {
                // The plugin lost changes: compare everything with the replica, and make the recovery point its repair.
                var reason = changes.FullEnumerationReason ?? "the workload lost track of changes";
                Log.ReplicaInconsistent(logger, request.DataSource.Name, reason);
                var check = await CheckSnapshotAsync(plugin, snapshot, request with { RepairReason = reason }, ConsistencyCheckLevel.Light, freeze, alwaysStore: true, progress, cancellationToken);
                result = check.Repair! with { ReplicaInconsistentReason = reason, FullEnumerationReason = reason, ConsistencyCheck = check with { Repair = null } };
            }
            else
            {
                result = await StoreSnapshotAsync(snapshot, request, since, changes, freeze, progress, cancellationToken);
            }

            Log.Synchronized(logger, request.DataSource.Name, result.RecoveryPoint.Id, snapshotTime.TotalSeconds, result.Timings.Items.TotalSeconds, result.Timings.Commit.TotalSeconds, clock.Elapsed.TotalSeconds);
            return result with { Timings = (snapshotTime, result.Timings.Items, result.Timings.Commit), ReplicaInconsistentReason = result.ReplicaInconsistentReason ?? request.RepairReason };
        }
    }

    /// <summary>
    /// A consistency check: compares the data source with the replica (its latest recovery point) — light: the
    /// items and their metadata; heavy: also every file's data, chunk by chunk against the replica's chunk ids —
    /// adds the workload's own checks, and when anything differs makes a new recovery point that reads the
    /// differing items in full (the repair).
    /// </summary>
    public async Task<ConsistencyCheckOutcome> CheckConsistencyAsync(
        IWorkloadPlugin plugin, SynchronizationRequest request, ConsistencyCheckLevel level, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        ArgumentNullException.ThrowIfNull(request);
        await using var session = await plugin.OpenProtectionSessionAsync(request.DataSource, request.Options, cancellationToken);
        await session.PrepareAsync(cancellationToken);
        FreezeOutcome freeze;
        IDataSourceSnapshot snapshot;
        try
        {
            freeze = await session.FreezeAsync(cancellationToken);
            snapshot = await session.TakeSnapshotAsync(cancellationToken);
        }
        finally
        {
            await session.ThawAsync(CancellationToken.None);
        }

        await using (snapshot)
        {
            return await CheckSnapshotAsync(plugin, snapshot, request, level, freeze, alwaysStore: false, progress, cancellationToken);
        }
    }

    /// <summary>The consistency check of a snapshot; <paramref name="alwaysStore"/> makes a recovery point even when nothing differs.</summary>
    private async Task<ConsistencyCheckOutcome> CheckSnapshotAsync(
        IWorkloadPlugin plugin,
        IDataSourceSnapshot snapshot,
        SynchronizationRequest request,
        ConsistencyCheckLevel level,
        FreezeOutcome freeze,
        bool alwaysStore,
        IProgress<ProgressReport>? progress,
        CancellationToken cancellationToken)
    {
        var replica = request.Previous?.Items.ToDictionary(i => i.Item.Path, StringComparer.Ordinal) ?? [];
        var found = new List<Inconsistency>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long compared = 0, bytes = 0;
        var all = await snapshot.EnumerateChangesAsync(null, cancellationToken);
        await foreach (var change in all.Changes.WithCancellation(cancellationToken))
        {
            var item = change.Item;
            seen.Add(item.Path);
            compared++;
            if (!replica.TryGetValue(item.Path, out var stored))
            {
                found.Add(new Inconsistency(item.Path, "missing from the replica"));
            }
            else if (MetadataDifference(stored.Item, item) is { } difference)
            {
                found.Add(new Inconsistency(item.Path, difference));
            }
            else if (level == ConsistencyCheckLevel.Heavy && item.Kind == ProtectedItemKind.File && item.Length > 0)
            {
                var (difference2, read) = await CompareDataAsync(snapshot, item, stored, cancellationToken);
                bytes += read;
                if (difference2 is not null)
                {
                    found.Add(new Inconsistency(item.Path, difference2));
                }
            }

            progress?.Report(new ProgressReport(bytes, ItemsDone: compared, CurrentItem: item.Path));
        }

        found.AddRange(replica.Keys.Where(p => !seen.Contains(p)).Select(p => new Inconsistency(p, "in the replica but no longer in the data source")));
        if (request.Previous is not null)
        {
            var source = new RecoveryPointReader(pool, request.Previous);
            var own = await plugin.CheckConsistencyAsync(snapshot, source, level, progress, cancellationToken);
            found.AddRange(own.ItemsToResynchronize.Select(p => new Inconsistency(p, "the workload's own check: " + string.Join("; ", own.Findings))));
        }

        Log.ConsistencyChecked(logger, request.DataSource.Name, level, compared, found.Count);
        SynchronizationResult? repair = null;
        if (found.Count > 0 || request.Previous is null || alwaysStore)
        {
            repair = await StoreSnapshotAsync(
                snapshot,
                request with
                {
                    ForceRead = found.Select(f => f.Path).ToHashSet(StringComparer.Ordinal),
                    IgnoreChangeToken = true,
                    RepairReason = request.RepairReason ?? (found.Count == 0 ? null
                        : $"a {level.ToString().ToLowerInvariant()} consistency check found {found.Count} {(found.Count == 1 ? "item" : "items")} that differ (first: {found[0].Path}: {found[0].Reason})"),
                },
                since: null,
                await snapshot.EnumerateChangesAsync(null, cancellationToken),
                freeze,
                progress,
                cancellationToken);
        }

        return new ConsistencyCheckOutcome { Level = level, ItemsCompared = compared, BytesCompared = bytes, Inconsistencies = found, Repair = repair };
    }

    /// <summary>Reads a file and checks each piece, cut at the replica's chunk sizes, against the replica's chunk id.</summary>
    private async Task<(string? Difference, long Read)> CompareDataAsync(IDataSourceSnapshot snapshot, ProtectedItem item, ManifestItem stored, CancellationToken cancellationToken)
    {
        await using var stream = await snapshot.OpenItemAsync(item, cancellationToken);
        if (stream is null)
        {
            return ("vanished while it was checked", 0);
        }

        long read = 0;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(pool.ChunkMaxSize);
        try
        {
            for (var i = 0; i < stored.Chunks.Count; i++)
            {
                if (!pool.TryGetChunkLength(stored.Chunks[i], out var size))
                {
                    return ($"chunk {i} of the replica is not in the pool", read);
                }

                var got = 0;
                int n;
                while (got < size && (n = await stream.ReadAsync(buffer.AsMemory(got, size - got), cancellationToken)) > 0)
                {
                    got += n;
                }

                read += got;
                if (got != size || ChunkId.Compute(buffer.AsSpan(0, size)) != stored.Chunks[i])
                {
                    return ($"its data differs from the replica at byte {read - got}", read);
                }
            }

            return (await stream.ReadAsync(buffer.AsMemory(0, 1), cancellationToken) > 0 ? "it is longer than the replica's copy" : null, read);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string? MetadataDifference(ProtectedItem stored, ProtectedItem now)
    {
        if (stored.Kind != now.Kind)
        {
            return $"it is a {now.Kind}, the replica has a {stored.Kind}";
        }

        if (stored.Length != now.Length)
        {
            return $"its length is {now.Length}, the replica's is {stored.Length}";
        }

        if (stored.LastWriteTime != now.LastWriteTime)
        {
            return "its last write time differs from the replica's";
        }

        var (a, b) = (stored.Metadata, now.Metadata);
        if (a?.Mode != b?.Mode || a?.OwnerId != b?.OwnerId || a?.GroupId != b?.GroupId || a?.LinkTarget != b?.LinkTarget)
        {
            return "its owner, mode or link target differs from the replica's";
        }

        var xa = a?.ExtendedAttributes ?? new Dictionary<string, byte[]>();
        var xb = b?.ExtendedAttributes ?? new Dictionary<string, byte[]>();
        return xa.Count != xb.Count || xa.Any(x => !xb.TryGetValue(x.Key, out var v) || !v.AsSpan().SequenceEqual(x.Value))
            ? "its extended attributes or ACLs differ from the replica's"
            : null;
    }

    private async Task<SynchronizationResult> StoreSnapshotAsync(
        IDataSourceSnapshot snapshot,
        SynchronizationRequest request,
        ChangeToken? since,
        ChangeEnumeration changes,
        FreezeOutcome freeze,
        IProgress<ProgressReport>? progress,
        CancellationToken cancellationToken)
    {
        var previous = request.Previous;
        await using var writer = await pool.BeginRecoveryPointAsync(
            new RecoveryPointDraft
            {
                DataSourceId = request.DataSource.Id,
                DataSourceName = request.DataSource.Name,
                PluginId = request.PluginId,
                Computer = request.Computer,
                Kind = RecoveryPointKind.ExpressFull,
                Consistency = snapshot.Consistency,
                ParentId = previous?.Id,
                ChangeToken = snapshot.Token.Value,
                CreatedAt = snapshot.TakenAt,
                RepairReason = request.RepairReason,
            },
            cancellationToken);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var before = previous?.Items.ToDictionary(i => i.Item.Path, StringComparer.Ordinal) ?? [];
        var remaining = changes.IsFull ? null : new Dictionary<string, ManifestItem>(before, StringComparer.Ordinal);
        var torn = new List<string>();
        var vanished = new List<string>();
        var gone = new HashSet<string>(StringComparer.Ordinal);
        long read = 0, reused = 0, items = 0, listed = 0;
        bool CanReuse(ItemChange change) =>
            !request.ForceRead.Contains(change.Item.Path)
            && before.TryGetValue(change.Item.Path, out var old) && (change.Kind == ChangeKind.MetadataChanged || IsUnchanged(old.Item, change.Item));
        var readAhead = new ReadAhead(snapshot, change => !CanReuse(change));
        await foreach (var (change, prefetch) in readAhead.RunAsync(changes.Changes, cancellationToken))
        {
            var item = change.Item;
            listed++;
            remaining?.Remove(item.Path);
            if (change.Kind == ChangeKind.Deleted)
            {
                gone.Add(item.Path); // and everything below it, unless listed again
                continue;
            }

            before.TryGetValue(item.Path, out var old);
            if (item.Kind != ProtectedItemKind.File || item.Length == 0)
            {
                writer.Add(item, []);
            }
            else if (old is not null && CanReuse(change) && writer.TryAddExisting(item, old.Chunks))
            {
                reused++;
            }
            else if (prefetch is null && old is not null && since is not null && !request.ForceRead.Contains(item.Path) && snapshot is IBlockChangeTracking tracking
                && SameLayout(old.Item, item) && await TryPatchAsync(snapshot, tracking, writer, old, item, since, cancellationToken))
            {
                read++;
            }
            else
            {
                using var early = prefetch is null ? null : await prefetch;
                var check = ItemReadCheck.Vanished;
                if (early?.Check == ItemReadCheck.Unchanged)
                {
                    await using var data = early.Open();
                    writer.Add(item, await writer.StoreDataAsync(data, fixedSize: false, cancellationToken));
                    check = ItemReadCheck.Unchanged;
                }
                else if (prefetch is null || early is not null)
                {
                    // Not read ahead (a large file), or read ahead while it changed: read it (again), with retries.
                    check = await ReadConsistentlyAsync(snapshot, writer, item, request.TornReadRetries, cancellationToken);
                }

                switch (check)
                {
                    case ItemReadCheck.Unchanged:
                        read++;
                        break;
                    case ItemReadCheck.Vanished:
                        vanished.Add(item.Path);
                        break;
                    default:
                        torn.Add(item.Path);
                        Log.ChangedWhileRead(logger, item.Path, request.DataSource.Name);
                        break;
                }
            }

            progress?.Report(new ProgressReport(writer.Stats.BytesRead, ItemsDone: ++items, CurrentItem: item.Path));
        }

        foreach (var unchanged in ((IEnumerable<ManifestItem>?)remaining?.Values ?? []).Where(i => !IsBelowAny(i.Item.Path, gone)))
        {
            if (!writer.TryAddExisting(unchanged.Item, unchanged.Chunks))
            {
                throw new PoolDataException($"'{unchanged.Item.Path}' is unchanged since the previous recovery point, but its data is no longer in the pool: run a consistency check");
            }

            if (unchanged.Item.Kind == ProtectedItemKind.File && unchanged.Item.Length > 0)
            {
                reused++;
            }
        }

        if (snapshot is ISnapshotCompletion completion)
        {
            // What completes the snapshot (a backup label, the logs of the copy) exists only now that the rest is read.
            await foreach (var item in completion.CompleteAsync(cancellationToken))
            {
                remaining?.Remove(item.Path);
                if (item.Kind is not (ProtectedItemKind.File or ProtectedItemKind.Log) || item.Length == 0)
                {
                    writer.Add(item, []);
                    continue;
                }

                var check = await ReadConsistentlyAsync(snapshot, writer, item, request.TornReadRetries, cancellationToken);
                if (check != ItemReadCheck.Unchanged)
                {
                    throw new IOException($"'{item.Path}', which completes the snapshot of {request.DataSource.Name}, could not be read ({check}): no recovery point was made");
                }

                read++;
                progress?.Report(new ProgressReport(writer.Stats.BytesRead, ItemsDone: ++items, CurrentItem: item.Path));
            }
        }

        var itemsTime = clock.Elapsed;
        var manifest = await writer.CommitAsync(cancellationToken);
        return new SynchronizationResult
        {
            Timings = (TimeSpan.Zero, itemsTime, clock.Elapsed - itemsTime),
            RecoveryPoint = manifest,
            FullEnumerationReason = changes.IsFull && since is not null ? changes.FullEnumerationReason ?? "the plugin listed every item" : null,
            FreezeNotSupportedReason = freeze.Status == FreezeStatus.NotSupported ? freeze.Reason : null,
            ItemsRead = read,
            ItemsReused = reused,
            ItemsListed = listed,
            ChangedWhileRead = torn,
            Vanished = vanished,
        };
    }

    /// <summary>
    /// An incremental synchronization: the previous recovery point's items as they are, and the logs shipped since
    /// (a log with a path the previous point has replaces it), as a recovery point of its own.
    /// </summary>
    private async Task<SynchronizationResult> StoreLogsAsync(ILogShipment shipment, SynchronizationRequest request, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        var previous = request.Previous!;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var logs = new List<ProtectedItem>();
        await foreach (var log in shipment.EnumerateLogsAsync(cancellationToken))
        {
            logs.Add(log);
        }

        await using var writer = await pool.BeginRecoveryPointAsync(
            new RecoveryPointDraft
            {
                DataSourceId = request.DataSource.Id,
                DataSourceName = request.DataSource.Name,
                PluginId = request.PluginId,
                Computer = request.Computer,
                Kind = RecoveryPointKind.Incremental,
                Consistency = previous.Consistency,
                ParentId = previous.Id,
                ChangeToken = shipment.Token.Value,
            },
            cancellationToken);
        var shipped = logs.Select(l => l.Path).ToHashSet(StringComparer.Ordinal);
        long reused = 0, items = 0;
        foreach (var kept in previous.Items.Where(i => !shipped.Contains(i.Item.Path)))
        {
            if (!writer.TryAddExisting(kept.Item, kept.Chunks))
            {
                throw new PoolDataException($"'{kept.Item.Path}' of the previous recovery point is no longer in the pool: run an express full");
            }

            reused++;
        }

        foreach (var log in logs)
        {
            await using (var data = await shipment.OpenLogAsync(log, cancellationToken))
            {
                writer.Add(log, await writer.StoreDataAsync(data, fixedSize: false, cancellationToken));
            }

            progress?.Report(new ProgressReport(writer.Stats.BytesRead, ItemsDone: ++items, CurrentItem: log.Path));
        }

        var itemsTime = clock.Elapsed;
        var manifest = await writer.CommitAsync(cancellationToken);
        Log.LogsShipped(logger, request.DataSource.Name, manifest.Id, logs.Count);
        return new SynchronizationResult
        {
            RecoveryPoint = manifest,
            ItemsRead = logs.Count,
            ItemsReused = reused,
            ItemsListed = logs.Count,
            Timings = (TimeSpan.Zero, itemsTime, clock.Elapsed - itemsTime),
        };
    }

    private static bool IsBelowAny(string path, HashSet<string> folders)
    {
        if (folders.Count == 0)
        {
            return false;
        }

        for (var cut = path.LastIndexOf('/'); cut > 0; cut = path.LastIndexOf('/', cut - 1))
        {
            if (folders.Contains(path[..cut]))
            {
                return true;
            }
        }

        return folders.Contains("") && path.Length > 0;
    }

    /// <summary>Reads a file and keeps it only if it did not change while it was read, trying again a few times.</summary>
    private static async Task<ItemReadCheck> ReadConsistentlyAsync(
        IDataSourceSnapshot snapshot, IRecoveryPointSink writer, ProtectedItem item, int retries, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            IReadOnlyList<Storage.ChunkId> chunks;
            var opened = await snapshot.OpenItemAsync(item, cancellationToken);
            if (opened is null)
            {
                return ItemReadCheck.Vanished;
            }

            // A large regular file is read with several blocks in flight; anything else as the plugin gave it.
            await using (var stream = item.Length > ReadAhead.SmallFileLimit && opened is FileStream { CanSeek: true } file ? new ParallelFileReader(file) : opened)
            {
                chunks = await writer.StoreDataAsync(stream, fixedSize: false, cancellationToken);
            }

            var check = await snapshot.ConfirmUnchangedAsync(item, cancellationToken);
            if (check == ItemReadCheck.Unchanged)
            {
                writer.Add(item, chunks);
                return check;
            }

            if (check == ItemReadCheck.Vanished || attempt >= retries)
            {
                return check;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50 << attempt), cancellationToken);
        }
    }

    /// <summary>
    /// A large file the plugin knows the changed ranges of: read just those and rebuild the touched chunks from
    /// the previous recovery point. False when that can't be done here (then the file is read whole).
    /// </summary>
    private static async Task<bool> TryPatchAsync(
        IDataSourceSnapshot snapshot, IBlockChangeTracking tracking, IRecoveryPointSink writer, ManifestItem old, ProtectedItem item, ChangeToken since, CancellationToken cancellationToken)
    {
        var changed = await tracking.GetChangedRangesAsync(item, since, cancellationToken);
        if (changed is null || (changed.Count == 0 && old.Item.LastWriteTime != item.LastWriteTime))
        {
            return false; // unknown, or written to with no range to show for it: read it all
        }

        await using var stream = await snapshot.OpenItemAsync(item, cancellationToken);
        if (stream is not { CanSeek: true })
        {
            return false;
        }

        var chunks = await writer.StorePatchedAsync(old.Chunks, stream, item.Length, changed, cancellationToken);
        if (chunks is null)
        {
            return false;
        }

        writer.Add(item, chunks);
        return true;
    }

    /// <summary>Whether the holes of a sparse file are where they were: punching a hole writes no data a plugin would see.</summary>
    private static bool SameLayout(ProtectedItem old, ProtectedItem now) =>
        (old.Metadata?.DataRanges, now.Metadata?.DataRanges) switch
        {
            (null, null) => true,
            ({ } a, { } b) => a.SequenceEqual(b),
            _ => false,
        };

    private static bool IsUnchanged(ProtectedItem old, ProtectedItem now) =>
        old.Kind == now.Kind
        && old.Length == now.Length
        && old.LastWriteTime == now.LastWriteTime
        && old.Metadata?.ChangeTime == now.Metadata?.ChangeTime;

    private static partial class Log
    {
        [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "{DataSource}: {Gap}")]
        public static partial void LogGap(ILogger logger, string dataSource, string gap);

        [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "{DataSource}: incremental recovery point {RecoveryPoint} with {Logs} logs")]
        public static partial void LogsShipped(ILogger logger, string dataSource, string recoveryPoint, int logs);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "{DataSource}: the replica may be inconsistent ({Reason}); running a consistency check")]
        public static partial void ReplicaInconsistent(ILogger logger, string dataSource, string reason);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "{DataSource}: {Level} consistency check compared {Items} items, {Inconsistent} inconsistent")]
        public static partial void ConsistencyChecked(ILogger logger, string dataSource, ConsistencyCheckLevel level, long items, int inconsistent);

        [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "{DataSource}: recovery point {RecoveryPoint}; snapshot {SnapshotSeconds:0.00} s, items {ItemsSeconds:0.00} s, commit {CommitSeconds:0.00} s, {TotalSeconds:0.00} s in all")]
        public static partial void Synchronized(ILogger logger, string dataSource, string recoveryPoint, double snapshotSeconds, double itemsSeconds, double commitSeconds, double totalSeconds);

        [LoggerMessage(EventId = 2000, Level = LogLevel.Warning, Message = "'{Path}' in {DataSource} kept changing while it was read; it is not in this recovery point")]
        public static partial void ChangedWhileRead(ILogger logger, string path, string dataSource);
    }
}
