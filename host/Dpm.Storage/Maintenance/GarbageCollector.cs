using System.Globalization;
using System.Text.Json;
using Dpm.Storage.Packs;

namespace Dpm.Storage;

/// <summary>How garbage collection behaves.</summary>
public sealed record GcOptions
{
    /// <summary>Packs younger than this are left alone, and a condemned pack is deleted only this long after it was condemned.</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromHours(1);

    /// <summary>A pack whose live bytes are below this fraction is repacked (its live chunks copied to a new pack).</summary>
    public double RepackBelowLiveFraction { get; init; } = 0.5;
}

/// <summary>What a garbage collection did.</summary>
public sealed record GcReport
{
    public int RecoveryPoints { get; init; }
    public int LiveChunks { get; init; }
    public int PacksCondemned { get; init; }
    public int PacksRepacked { get; init; }
    public int PacksDeleted { get; init; }
    public long BytesFreed { get; init; }

    /// <summary>Condemned packs kept for now because a writer that started before they were condemned is still running.</summary>
    public int PacksDeferred { get; init; }

    public int ActiveWriters { get; init; }
    public IReadOnlyList<string> Problems { get; init; } = [];
}

/// <summary>
/// Mark and sweep in two steps, so that a backup running at the same time never breaks and never waits.
/// A collection marks every chunk the recovery points reference; packs holding none of them (and older than
/// the grace period) are condemned: written to a record <c>gc/condemned/&lt;time&gt;</c>, and from then on no new
/// recovery point uses their chunks. A later collection deletes a condemned pack only when the grace period
/// has passed since, no writer that started before the condemnation still holds a lease, and the pack is
/// still unreferenced. Packs that are mostly dead are repacked: their live blobs are copied, still sealed,
/// into a new pack, and the old pack is condemned.
/// </summary>
public static class GarbageCollector
{
    public const string CondemnedPrefix = "gc/condemned/";

    /// <summary>How far the clocks of writers and the collector may disagree, and how long a record may take to become visible.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(5);

    public static Task<GcReport> CollectGarbageAsync(this StoragePool pool, GcOptions options, CancellationToken cancellationToken) =>
        CollectAsync(pool, options, cancellationToken);

    public static async Task<GcReport> CollectAsync(StoragePool pool, GcOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(options);
        var now = pool.Time.GetUtcNow();
        var writers = await WriterLease.ListActiveAsync(pool.Store, now, cancellationToken);
        DateTimeOffset? oldestWriter = writers.Count == 0 ? null : writers.Min(w => w.StartedAt);

        var (manifests, damaged) = await pool.ReadManifestsAsync(cancellationToken);
        if (damaged.Count > 0)
        {
            return new GcReport
            {
                ActiveWriters = writers.Count,
                Problems = [.. damaged.Select(d => $"garbage collection stopped: {d.Problem}; what it references is unknown, so nothing is deleted (verify, then delete or repair that recovery point)")],
            };
        }

        var live = new HashSet<ChunkId>();
        foreach (var manifest in manifests)
        {
            foreach (var item in manifest.Items)
            {
                live.UnionWith(item.Chunks);
            }
        }

        // The packs that exist, with their contents (reading the header of any pack the index doesn't know).
        await pool.LoadIndexAsync(cancellationToken);
        var indexed = pool.Index.Packs;
        var packs = new Dictionary<string, (IReadOnlyList<PackEntry> Entries, DateTimeOffset Written, long Length)>(StringComparer.Ordinal);
        var problems = new List<string>(pool.IndexProblems);
        await foreach (var obj in pool.Store.ListAsync(PackFormat.Prefix, cancellationToken))
        {
            if (!PackFormat.IsPackName(obj.Name))
            {
                continue;
            }

            if (!indexed.TryGetValue(obj.Name, out var entries))
            {
                try
                {
                    entries = await PackFormat.ReadHeaderAsync(pool.Store, obj.Name, pool.Cipher, cancellationToken);
                    pool.Index.AddPack(obj.Name, entries);
                }
                catch (PoolDataException ex)
                {
                    problems.Add($"{ex.Message} (left alone)");
                    continue;
                }
            }

            packs[obj.Name] = (entries, obj.LastModified, obj.Length);
        }

        var records = await ReadRecordsAsync(pool, cancellationToken);
        var condemned = records.SelectMany(r => r.Packs).ToHashSet(StringComparer.Ordinal);

        var holders = new Dictionary<ChunkId, List<string>>();
        foreach (var (pack, content) in packs)
        {
            foreach (var entry in content.Entries.Where(e => live.Contains(e.Id)))
            {
                (holders.TryGetValue(entry.Id, out var list) ? list : holders[entry.Id] = []).Add(pack);
            }
        }

        // A pack is garbage when each of its live chunks has a copy in a pack that is neither condemned nor about to go.
        bool IsGarbage(string pack, IReadOnlySet<string> going) =>
            packs[pack].Entries.All(e => !live.Contains(e.Id)
                || holders[e.Id].Any(p => p != pack && !going.Contains(p) && !condemned.Contains(p)));

        // 1. Delete what earlier collections condemned, when it is safe.
        var toDelete = new HashSet<string>(StringComparer.Ordinal);
        var deferred = 0;
        var finishedRecords = new List<string>();
        foreach (var record in records)
        {
            var mature = record.CondemnedAt + options.GracePeriod <= now;
            var noEarlierWriter = oldestWriter is null || oldestWriter > record.CondemnedAt + Margin;
            if (!mature || !noEarlierWriter)
            {
                deferred += record.Packs.Count;
                continue;
            }

            foreach (var pack in record.Packs.Where(packs.ContainsKey))
            {
                if (IsGarbage(pack, toDelete))
                {
                    toDelete.Add(pack);
                }
            }

            finishedRecords.Add(record.Name);
        }

        long freed = 0;
        if (toDelete.Count > 0)
        {
            // Index first (a new complete segment, then the old ones go), then the packs: the index never
            // points at a pack that is gone.
            var remaining = packs.Where(p => !toDelete.Contains(p.Key)).Select(p => new KeyValuePair<string, IReadOnlyList<PackEntry>>(p.Key, p.Value.Entries)).ToList();
            var oldSegments = new List<string>();
            await foreach (var segment in pool.Store.ListAsync(Index.ChunkIndex.Prefix, cancellationToken))
            {
                oldSegments.Add(segment.Name);
            }

            var newSegment = await pool.WriteIndexSegmentAsync(remaining, cancellationToken);
            foreach (var segment in oldSegments.Where(s => s != newSegment))
            {
                await pool.Store.DeleteAsync(segment, cancellationToken);
            }

            foreach (var pack in toDelete)
            {
                if (await pool.Store.DeleteAsync(pack, cancellationToken))
                {
                    freed += packs[pack].Length;
                }

                packs.Remove(pack);
            }

            pool.Index.RemovePacks(toDelete);
        }

        foreach (var record in finishedRecords)
        {
            await pool.Store.DeleteAsync(record, cancellationToken);
        }

        condemned.ExceptWith(finishedRecords.Count == 0 ? [] : records.Where(r => finishedRecords.Contains(r.Name)).SelectMany(r => r.Packs));

        // 2. Repack packs that are mostly dead, then 3. condemn dead packs, all older than the grace period.
        var old = packs.Where(p => p.Value.Written + options.GracePeriod <= now && !condemned.Contains(p.Key)).Select(p => p.Key).ToList();
        var newlyCondemned = old.Where(p => IsGarbage(p, toDelete)).ToList();
        var repacked = await RepackAsync(pool, packs, old.Except(newlyCondemned).ToList(), live, options, cancellationToken);
        newlyCondemned.AddRange(repacked);
        if (newlyCondemned.Count > 0)
        {
            await WriteRecordAsync(pool, now, newlyCondemned, cancellationToken);
        }

        pool.Index.SetCondemned(await ReadCondemnedPacksAsync(pool, cancellationToken));
        await WriterLease.DeleteExpiredAsync(pool.Store, now, cancellationToken);
        return new GcReport
        {
            RecoveryPoints = manifests.Count,
            LiveChunks = live.Count,
            PacksCondemned = newlyCondemned.Count,
            PacksRepacked = repacked.Count,
            PacksDeleted = toDelete.Count,
            BytesFreed = freed,
            PacksDeferred = deferred,
            ActiveWriters = writers.Count,
            Problems = problems,
        };
    }

    /// <summary>Every pack that a garbage collection record condemns.</summary>
    public static async Task<IReadOnlyList<string>> ReadCondemnedPacksAsync(StoragePool pool, CancellationToken cancellationToken) =>
        [.. (await ReadRecordsAsync(pool, cancellationToken)).SelectMany(r => r.Packs)];

    private static async Task<List<string>> RepackAsync(
        StoragePool pool,
        Dictionary<string, (IReadOnlyList<PackEntry> Entries, DateTimeOffset Written, long Length)> packs,
        List<string> candidates,
        HashSet<ChunkId> live,
        GcOptions options,
        CancellationToken cancellationToken)
    {
        var sparse = candidates.Where(p =>
        {
            var entries = packs[p].Entries;
            var total = entries.Sum(e => (long)e.Length);
            var liveBytes = entries.Where(e => live.Contains(e.Id)).Sum(e => (long)e.Length);
            return total > 0 && liveBytes < total * options.RepackBelowLiveFraction;
        }).ToList();
        if (sparse.Count == 0)
        {
            return [];
        }

        var copied = new HashSet<ChunkId>();
        var buffer = new PackBuffer(pool.Config.PackSize + (pool.Config.ChunkMaxSize * 2));
        var written = new List<KeyValuePair<string, IReadOnlyList<PackEntry>>>();
        var done = new List<string>();

        async Task FlushAsync()
        {
            var (packId, bytes, length) = buffer.Finish(pool.Cipher);
            var name = PackFormat.ObjectName(packId);
            var entries = buffer.Entries.ToArray();
            await pool.Store.PutAsync(name, new MemoryStream(bytes, 0, length, writable: false), null, cancellationToken);
            written.Add(new(name, entries));
            buffer.Reset();
        }

        foreach (var pack in sparse)
        {
            var bytes = await StoragePool.ReadObjectAsync(pool.Store, pack, cancellationToken);
            if (bytes is null)
            {
                continue;
            }

            foreach (var entry in packs[pack].Entries.Where(e => live.Contains(e.Id) && copied.Add(e.Id)))
            {
                var sealedBlob = bytes.AsSpan((int)entry.Offset, (int)entry.Length);
                pool.OpenChunk(entry.Id, entry, sealedBlob).Dispose(); // never copy damage forward: this throws on a bad blob
                buffer.AppendSealed(entry, sealedBlob);
                if (buffer.Length >= pool.Config.PackSize)
                {
                    await FlushAsync();
                }
            }

            done.Add(pack);
        }

        if (buffer.Count > 0)
        {
            await FlushAsync();
        }

        if (written.Count > 0)
        {
            // The copies must be findable before their old packs are condemned.
            await pool.WriteIndexSegmentAsync(written, cancellationToken);
            foreach (var (name, entries) in written)
            {
                pool.Index.AddPack(name, entries);
            }
        }

        return done;
    }

    private sealed record CondemnedRecord(string Name, DateTimeOffset CondemnedAt, IReadOnlyList<string> Packs);

    private static async Task<List<CondemnedRecord>> ReadRecordsAsync(StoragePool pool, CancellationToken cancellationToken)
    {
        var records = new List<CondemnedRecord>();
        await foreach (var obj in pool.Store.ListAsync(CondemnedPrefix, cancellationToken))
        {
            var bytes = await StoragePool.ReadObjectAsync(pool.Store, obj.Name, cancellationToken);
            if (bytes is null)
            {
                continue;
            }

            var packs = JsonSerializer.Deserialize<List<string>>(MetadataCodec.Decode(pool.Cipher, obj.Name, bytes)) ?? [];
            var stamp = obj.Name[CondemnedPrefix.Length..].Split('-')[0];
            var at = DateTime.ParseExact(stamp, "yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            records.Add(new CondemnedRecord(obj.Name, new DateTimeOffset(at, TimeSpan.Zero), packs));
        }

        return records;
    }

    private static async Task WriteRecordAsync(StoragePool pool, DateTimeOffset now, IReadOnlyList<string> packs, CancellationToken cancellationToken)
    {
        var name = $"{CondemnedPrefix}{now.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{Guid.NewGuid():N}";
        var bytes = MetadataCodec.Encode(pool.Cipher, name, JsonSerializer.SerializeToUtf8Bytes(packs), pool.Config.CompressionLevel);
        await pool.Store.PutAsync(name, new MemoryStream(bytes), null, cancellationToken);
    }
}
