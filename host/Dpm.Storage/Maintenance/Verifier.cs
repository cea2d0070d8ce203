using System.Collections.Concurrent;
using Dpm.Contracts;
using Dpm.Storage.Packs;

namespace Dpm.Storage;

/// <summary>How much verification reads.</summary>
public sealed record VerifyOptions
{
    /// <summary>The fraction of packs whose data is read and checked (1 = all); the others are checked for existence.</summary>
    public double Fraction { get; init; } = 1.0;

    /// <summary>Packs checked at the same time.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;
}

/// <summary>A recovery point that can't be restored in full, and why.</summary>
public sealed record DamagedRecoveryPoint(string Id, string DataSourceName, IReadOnlyList<string> Reasons);

/// <summary>What verification found.</summary>
public sealed record VerifyReport
{
    public int RecoveryPoints { get; init; }
    public int PacksChecked { get; init; }
    public long BytesChecked { get; init; }
    public long ChunksChecked { get; init; }

    /// <summary>The recovery points that can't be restored in full; all others are restorable.</summary>
    public IReadOnlyList<DamagedRecoveryPoint> Damaged { get; init; } = [];

    /// <summary>Damage that affects no recovery point (a damaged index segment, a damaged unused pack).</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    public bool IsHealthy => Damaged.Count == 0 && Problems.Count == 0;
}

/// <summary>
/// Re-reads the pool: every pack (or a fraction of them) is read whole, its header and every blob's
/// authentication and hash are checked; then every recovery point is checked against what was found, so
/// the report names exactly the recovery points that are damaged.
/// </summary>
public static class Verifier
{
    public static async Task<VerifyReport> VerifyAsync(this StoragePool pool, VerifyOptions options, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(options);
        var problems = new ConcurrentBag<string>();
        var (manifests, damagedManifests) = await pool.ReadManifestsAsync(cancellationToken);
        await pool.LoadIndexAsync(cancellationToken);
        foreach (var problem in pool.IndexProblems)
        {
            problems.Add($"index: {problem} (the index is a cache; run rebuild-index to rewrite it)");
        }

        var inStore = new List<string>();
        await foreach (var pack in pool.ListPacksAsync(cancellationToken))
        {
            inStore.Add(pack);
        }

        var indexed = pool.Index.Packs;
        var bad = new ConcurrentDictionary<ChunkId, string>();
        var good = new ConcurrentDictionary<ChunkId, byte>();
        long bytes = 0, chunks = 0, done = 0;
        var sample = options.Fraction >= 1 ? inStore : inStore.Where(_ => Random.Shared.NextDouble() < options.Fraction).ToList();
        await Parallel.ForEachAsync(sample, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism), CancellationToken = cancellationToken }, async (pack, ct) =>
        {
            var info = await pool.Store.GetInfoAsync(pack, ct);
            if (info is null)
            {
                return;
            }

            var buffer = PooledChunk.Buffers.Rent((int)info.Length);
            try
            {
                await PackFormat.ReadRangeAsync(pool.Store, pack, 0, buffer.AsMemory(0, (int)info.Length), ct);
                CheckPack(buffer.AsSpan(0, (int)info.Length), pack);
            }
            finally
            {
                PooledChunk.Buffers.Return(buffer);
            }

            progress?.Report(new ProgressReport(Interlocked.Read(ref bytes), ItemsDone: Interlocked.Increment(ref done), ItemsTotal: sample.Count, CurrentItem: pack));
        });

        void CheckPack(ReadOnlySpan<byte> content, string pack)
        {
            Interlocked.Add(ref bytes, content.Length);
            IReadOnlyList<PackEntry> header;
            try
            {
                header = PackFormat.ReadHeader(content, pool.Cipher, pack);
            }
            catch (PoolDataException ex)
            {
                foreach (var entry in indexed.GetValueOrDefault(pack) ?? [])
                {
                    bad.TryAdd(entry.Id, ex.Message);
                }

                problems.Add(ex.Message);
                return;
            }

            if (indexed.TryGetValue(pack, out var known) && !known.SequenceEqual(header))
            {
                problems.Add($"index: the entries of pack '{pack}' differ from its header (run rebuild-index)");
            }

            foreach (var entry in header)
            {
                try
                {
                    pool.OpenChunk(entry.Id, entry, content.Slice((int)entry.Offset, (int)entry.Length)).Dispose();
                    good.TryAdd(entry.Id, 0);
                }
                catch (PoolDataException ex)
                {
                    bad.TryAdd(entry.Id, $"in pack '{pack}': {ex.Message}");
                }

                Interlocked.Increment(ref chunks);
            }
        }

        var present = inStore.ToHashSet(StringComparer.Ordinal);
        var damaged = damagedManifests.Select(d => new DamagedRecoveryPoint(Manifests.RecoveryPointManifest.IdOf(d.ObjectName), "?", [d.Problem])).ToList();
        foreach (var manifest in manifests)
        {
            var reasons = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var item in manifest.Items)
            {
                foreach (var id in item.Chunks)
                {
                    if (good.ContainsKey(id))
                    {
                        continue;
                    }

                    if (bad.TryGetValue(id, out var why))
                    {
                        reasons.Add($"'{item.Item.Path}': chunk {id} is damaged {why}");
                    }
                    else if (!pool.Index.TryGetAny(id, out var location))
                    {
                        reasons.Add($"'{item.Item.Path}': chunk {id} is in no pack");
                    }
                    else if (!present.Contains(location.Pack))
                    {
                        reasons.Add($"'{item.Item.Path}': chunk {id} was in pack '{location.Pack}', which is missing");
                    }
                }
            }

            if (reasons.Count > 0)
            {
                damaged.Add(new DamagedRecoveryPoint(manifest.Id, manifest.DataSourceName, [.. reasons.Take(20)]));
            }
        }

        return new VerifyReport
        {
            RecoveryPoints = manifests.Count + damagedManifests.Count,
            PacksChecked = sample.Count,
            BytesChecked = bytes,
            ChunksChecked = chunks,
            Damaged = damaged,
            Problems = [.. problems.Distinct().Order(StringComparer.Ordinal)],
        };
    }
}
