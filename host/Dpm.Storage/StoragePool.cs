using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Dpm.Contracts.Spi;
using Dpm.Storage.Chunking;
using Dpm.Storage.Crypto;
using Dpm.Storage.Index;
using Dpm.Storage.Manifests;
using Dpm.Storage.Packs;
using ZstdSharp;

namespace Dpm.Storage;

/// <summary>
/// The storage pool: a deduplicating, compressed, encrypted chunk repository on any <see cref="IObjectStore"/>.
/// Objects: <c>config</c>, <c>keys/*</c> (wrappings of the master key), <c>data/*</c> (packs of chunks),
/// <c>index/*</c> (the chunk index, a cache), <c>manifests/*</c> (recovery points), <c>leases/*</c>
/// (running writers) and <c>gc/*</c> (garbage collection's records). Every object is written once and
/// never changed, so a crash at any instant leaves the pool as it was or with the new recovery point.
/// </summary>
public sealed class StoragePool : IReplicaTarget, IDisposable
{
    public const string KeysPrefix = "keys/";

    private readonly byte[]? _masterKey;
    private bool _disposed;
    private readonly ThreadLocal<Decompressor> _decompressor = new(() => new Decompressor(), trackAllValues: true);

    // Manifests never change once written: each data source's latest one, as written or read, is kept, so a
    // synchronization doesn't decode it again; up to ManifestCacheItems items in all. Recovery and verification
    // always read the pool's copy, so damage to it is seen.
    private readonly MemoryCache _manifests = new(new MemoryCacheOptions { SizeLimit = ManifestCacheItems, CompactionPercentage = 0.5 });

    /// <summary>How many items the manifests kept in memory may hold in all.</summary>
    public const long ManifestCacheItems = 250_000;

    private StoragePool(IObjectStore store, PoolConfig config, byte[]? masterKey, TimeProvider time)
    {
        Store = store;
        Config = config;
        _masterKey = masterKey;
        Cipher = PoolCipher.Create(masterKey);
        Time = time;
    }

    public IObjectStore Store { get; }

    public PoolConfig Config { get; }

    public ChunkIndex Index { get; } = new();

    /// <summary>Damage found while loading the index (the damaged segments were replaced by reading pack headers).</summary>
    public IReadOnlyList<string> IndexProblems { get; private set; } = [];

    internal PoolCipher Cipher { get; }

    internal TimeProvider Time { get; }

    public IChunker CreateContentDefinedChunker() => new FastCdcChunker(Config.ChunkMinSize, Config.ChunkAverageSize, Config.ChunkMaxSize);

    public IChunker CreateFixedSizeChunker() => new FixedSizeChunker(Config.FixedChunkSize);

    /// <summary>Creates a new pool in an empty store.</summary>
    public static async Task<StoragePool> CreateAsync(IObjectStore store, PoolCreateOptions options, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        time ??= TimeProvider.System;
        if (await store.ExistsAsync(PoolConfig.ObjectName, cancellationToken))
        {
            throw new InvalidOperationException($"a pool already exists at {store.Location}");
        }

        _ = new FastCdcChunker(options.ChunkMinSize, options.ChunkAverageSize, options.ChunkMaxSize);
        var encrypted = options.Credentials != PoolCredentials.None;
        var config = new PoolConfig
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            Encryption = encrypted ? "aes-256-gcm" : "none",
            ChunkMinSize = options.ChunkMinSize,
            ChunkAverageSize = options.ChunkAverageSize,
            ChunkMaxSize = options.ChunkMaxSize,
            FixedChunkSize = options.FixedChunkSize,
            CompressionLevel = options.CompressionLevel,
            PackSize = options.PackSize,
            CreatedAt = time.GetUtcNow(),
        };
        byte[]? masterKey = null;
        if (encrypted)
        {
            masterKey = RandomNumberGenerator.GetBytes(32);
            var key = PoolKey.Wrap(masterKey, options.Credentials, config.Id, options.Kdf, time.GetUtcNow());
            await PutJsonAsync(store, KeysPrefix + key.Id, key, cancellationToken);
        }

        // The config goes last: a store without it is not a pool, whatever else a crash left in it.
        await PutJsonAsync(store, PoolConfig.ObjectName, config, cancellationToken);
        return new StoragePool(store, config, masterKey, time);
    }

    /// <summary>Opens a pool: reads its config, unwraps the master key with the credentials, loads the index.</summary>
    public static async Task<StoragePool> OpenAsync(IObjectStore store, PoolCredentials credentials, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(credentials);
        var config = await ReadJsonAsync<PoolConfig>(store, PoolConfig.ObjectName, cancellationToken)
            ?? throw new InvalidOperationException($"there is no pool at {store.Location} (no 'config' object); create one first");
        if (config.Format != PoolConfig.CurrentFormat)
        {
            throw new PoolDataException($"the pool at {store.Location} has format '{config.Format}', which this version does not read");
        }

        byte[]? masterKey = null;
        if (config.IsEncrypted)
        {
            if (credentials == PoolCredentials.None)
            {
                throw new PoolAccessDeniedException($"the pool at {store.Location} is encrypted: give its passphrase or key file");
            }

            await foreach (var key in ReadKeysAsync(store, cancellationToken))
            {
                masterKey = key.TryUnwrap(credentials, config.Id);
                if (masterKey is not null)
                {
                    break;
                }
            }

            if (masterKey is null)
            {
                throw new PoolAccessDeniedException($"the {(credentials is PoolCredentials.Passphrase ? "passphrase" : "key file")} does not open the pool at {store.Location}");
            }

            // Argon2 just used tens of MiB on purpose; give them back before the real work starts.
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }

        var pool = new StoragePool(store, config, masterKey, time ?? TimeProvider.System);
        await pool.LoadIndexAsync(cancellationToken);
        return pool;
    }

    /// <summary>Adds a wrapping of the master key (a new passphrase or key file); the data is not rewritten.</summary>
    public async Task<string> AddKeyAsync(PoolCredentials credentials, KdfParameters? kdf, CancellationToken cancellationToken)
    {
        var masterKey = _masterKey ?? throw new InvalidOperationException("the pool is not encrypted; it has no keys");
        var key = PoolKey.Wrap(masterKey, credentials, Config.Id, kdf, Time.GetUtcNow());
        await PutJsonAsync(Store, KeysPrefix + key.Id, key, cancellationToken);
        return key.Id;
    }

    /// <summary>Removes a wrapping of the master key; the last one can't be removed.</summary>
    public async Task RemoveKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        var keys = await ListKeysAsync(cancellationToken);
        if (keys.All(k => k.Id != keyId))
        {
            throw new ArgumentException($"the pool has no key '{keyId}'", nameof(keyId));
        }

        if (keys.Count == 1)
        {
            throw new InvalidOperationException("this is the pool's last key: add another before removing it, or the pool can never be opened again");
        }

        await Store.DeleteAsync(KeysPrefix + keyId, cancellationToken);
    }

    public async Task<IReadOnlyList<PoolKey>> ListKeysAsync(CancellationToken cancellationToken)
    {
        var keys = new List<PoolKey>();
        await foreach (var key in ReadKeysAsync(Store, cancellationToken))
        {
            keys.Add(key);
        }

        return keys;
    }

    /// <summary>Starts writing a recovery point. Nothing is visible until <see cref="RecoveryPointWriter.CommitAsync"/>.</summary>
    public Task<RecoveryPointWriter> BeginRecoveryPointAsync(RecoveryPointDraft draft, CancellationToken cancellationToken) =>
        RecoveryPointWriter.StartAsync(this, draft, cancellationToken);

    int IReplicaTarget.ChunkMaxSize => Math.Max(Config.ChunkMaxSize, Config.FixedChunkSize);

    async Task<IRecoveryPointSink> IReplicaTarget.BeginRecoveryPointAsync(RecoveryPointDraft draft, CancellationToken cancellationToken) =>
        await BeginRecoveryPointAsync(draft, cancellationToken);

    /// <inheritdoc/>
    public bool TryGetChunkLength(ChunkId id, out int length)
    {
        var found = Index.TryGetAny(id, out var location);
        length = found ? (int)location.Entry.RawLength : 0;
        return found;
    }

    /// <summary>The ids of every committed recovery point, oldest first.</summary>
    public Task<IReadOnlyList<(string DataSourceKey, string RecoveryPointId)>> ListRecoveryPointIdsAsync(CancellationToken cancellationToken) =>
        ListRecoveryPointIdsAsync(RecoveryPointManifest.Prefix, cancellationToken);

    /// <summary>The ids of the committed recovery points of one computer's data source, oldest first.</summary>
    public Task<IReadOnlyList<(string DataSourceKey, string RecoveryPointId)>> ListRecoveryPointIdsAsync(string? computer, string dataSourceId, CancellationToken cancellationToken) =>
        ListRecoveryPointIdsAsync(RecoveryPointManifest.Prefix + RecoveryPointManifest.DataSourceKey(computer, dataSourceId) + "/", cancellationToken);

    private async Task<IReadOnlyList<(string DataSourceKey, string RecoveryPointId)>> ListRecoveryPointIdsAsync(string prefix, CancellationToken cancellationToken)
    {
        var ids = new List<(string, string)>();
        await foreach (var obj in Store.ListAsync(prefix, cancellationToken))
        {
            var parts = obj.Name.Split('/');
            if (parts.Length == 3)
            {
                ids.Add((parts[1], parts[2]));
            }
        }

        return [.. ids.OrderBy(i => i.Item2, StringComparer.Ordinal)];
    }

    /// <summary>Reads every recovery point's manifest (of one data source, or all), oldest first; damaged ones are returned as problems.</summary>
    public async Task<(IReadOnlyList<RecoveryPointManifest> Manifests, IReadOnlyList<(string ObjectName, string Problem)> Damaged)> ReadManifestsAsync(
        CancellationToken cancellationToken)
    {
        var manifests = new List<RecoveryPointManifest>();
        var damaged = new List<(string, string)>();
        foreach (var (key, id) in await ListRecoveryPointIdsAsync(cancellationToken))
        {
            var name = $"{RecoveryPointManifest.Prefix}{key}/{id}";
            try
            {
                manifests.Add(await ReadManifestObjectAsync(name, cancellationToken) ?? throw new PoolDataException($"recovery point '{id}' vanished"));
            }
            catch (PoolDataException ex)
            {
                damaged.Add((name, ex.Message));
                _manifests.Remove(key); // the copy in memory is good, but the pool's isn't: don't hide it
            }
        }

        return (manifests, damaged);
    }

    /// <summary>The newest readable recovery point of a data source (the one a synchronization continues from), or null; kept in memory.</summary>
    public async Task<RecoveryPointManifest?> ReadLatestManifestAsync(string? computer, string dataSourceId, CancellationToken cancellationToken)
    {
        foreach (var (key, id) in (await ListRecoveryPointIdsAsync(computer, dataSourceId, cancellationToken)).Reverse())
        {
            try
            {
                return await ReadLatestManifestObjectAsync(key, $"{RecoveryPointManifest.Prefix}{key}/{id}", cancellationToken);
            }
            catch (PoolDataException)
            {
                // a damaged newest point: continue from the one before (verify reports the damage)
            }
        }

        return null;
    }

    /// <summary>Reads one recovery point's manifest, or null when there is none with that id.</summary>
    public async Task<RecoveryPointManifest?> ReadManifestAsync(string recoveryPointId, CancellationToken cancellationToken)
    {
        var match = (await ListRecoveryPointIdsAsync(cancellationToken)).FirstOrDefault(p => p.RecoveryPointId == recoveryPointId);
        return match == default ? null : await ReadManifestObjectAsync($"{RecoveryPointManifest.Prefix}{match.DataSourceKey}/{match.RecoveryPointId}", cancellationToken);
    }

    /// <summary>Opens a recovery point for browsing and recovery, or returns null when there is none with that id.</summary>
    public async Task<RecoveryPointReader?> OpenRecoveryPointAsync(string recoveryPointId, CancellationToken cancellationToken)
    {
        var manifest = await ReadManifestAsync(recoveryPointId, cancellationToken);
        return manifest is null ? null : new RecoveryPointReader(this, manifest);
    }

    /// <summary>Removes a recovery point (its chunks go at the next garbage collections); false when there is none.</summary>
    public async Task<bool> DeleteRecoveryPointAsync(string recoveryPointId, CancellationToken cancellationToken)
    {
        var match = (await ListRecoveryPointIdsAsync(cancellationToken)).FirstOrDefault(p => p.RecoveryPointId == recoveryPointId);
        return match != default && await Store.DeleteAsync($"{RecoveryPointManifest.Prefix}{match.DataSourceKey}/{match.RecoveryPointId}", cancellationToken);
    }

    /// <summary>
    /// Removes a recovery point of a known data source (its chunks go at the next garbage collections) without
    /// listing the pool first; false when there is none.
    /// </summary>
    public async Task<bool> DeleteRecoveryPointAsync(string? computer, string dataSourceId, string recoveryPointId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataSourceId);
        ArgumentException.ThrowIfNullOrEmpty(recoveryPointId);
        return await Store.DeleteAsync(RecoveryPointManifest.ObjectNameOf(computer, dataSourceId, recoveryPointId), cancellationToken);
    }

    /// <summary>Reads, authenticates, decompresses and hash-checks one chunk.</summary>
    public async Task<byte[]> LoadChunkAsync(ChunkId id, CancellationToken cancellationToken)
    {
        using var chunk = await LoadPooledChunkAsync(id, cancellationToken);
        return chunk.Span.ToArray();
    }

    /// <summary>Reads, authenticates, decompresses and hash-checks one chunk into a pooled buffer.</summary>
    public async Task<PooledChunk> LoadPooledChunkAsync(ChunkId id, CancellationToken cancellationToken)
    {
        if (!Index.TryGetAny(id, out var location))
        {
            // The index is a cache: a chunk another process wrote since we loaded it may be in a new segment.
            await LoadIndexAsync(cancellationToken);
            if (!Index.TryGetAny(id, out location))
            {
                throw new PoolDataException($"chunk {id} is in no pack of the pool");
            }
        }

        var sealedBlob = PooledChunk.Buffers.Rent((int)location.Entry.Length);
        try
        {
            try
            {
                await PackFormat.ReadRangeAsync(Store, location.Pack, location.Entry.Offset, sealedBlob.AsMemory(0, (int)location.Entry.Length), cancellationToken);
            }
            catch (PoolDataException ex) when (ex.Message.Contains("is missing", StringComparison.Ordinal))
            {
                throw new PoolDataException($"chunk {id} is lost: {ex.Message}", ex);
            }

            return OpenChunk(id, location.Entry, sealedBlob.AsSpan(0, (int)location.Entry.Length));
        }
        finally
        {
            PooledChunk.Buffers.Return(sealedBlob);
        }
    }

    /// <summary>Opens a chunk's sealed blob and checks that its content hashes to its id.</summary>
    internal PooledChunk OpenChunk(ChunkId id, PackEntry entry, ReadOnlySpan<byte> sealedBlob)
    {
        if (sealedBlob.Length < Cipher.Overhead)
        {
            throw new PoolDataException($"chunk {id} is damaged: it is shorter than its authentication data");
        }

        Span<byte> aad = stackalloc byte[ChunkId.Size];
        id.Write(aad);
        var storedLength = sealedBlob.Length - Cipher.Overhead;
        var stored = PooledChunk.Buffers.Rent(storedLength);
        var keep = false;
        try
        {
            if (!Cipher.TryOpen(sealedBlob, aad, stored.AsSpan(0, storedLength)))
            {
                throw new PoolDataException($"chunk {id} is damaged: its authentication check failed");
            }

            PooledChunk plain;
            if (entry.Encoding.HasFlag(BlobEncoding.Compressed))
            {
                plain = new PooledChunk(PooledChunk.Buffers.Rent((int)entry.RawLength), (int)entry.RawLength);
                try
                {
                    var written = _decompressor.Value!.Unwrap(stored.AsSpan(0, storedLength), MemoryMarshalWritable(plain));
                    if (written != plain.Length)
                    {
                        throw new PoolDataException($"chunk {id} is damaged: it decompressed to {written} bytes instead of {plain.Length}");
                    }
                }
                catch (Exception ex) when (ex is ZstdException or PoolDataException or ArgumentException)
                {
                    plain.Dispose();
                    throw ex as PoolDataException ?? new PoolDataException($"chunk {id} is damaged: {ex.Message}", ex);
                }
            }
            else
            {
                plain = new PooledChunk(stored, storedLength);
                keep = true;
            }

            if (ChunkId.Compute(plain.Span) != id)
            {
                plain.Dispose();
                keep = false;
                throw new PoolDataException($"chunk {id} is damaged: its content does not hash to its id");
            }

            return plain;
        }
        finally
        {
            if (!keep)
            {
                PooledChunk.Buffers.Return(stored);
            }
        }
    }

    private static Span<byte> MemoryMarshalWritable(PooledChunk chunk) =>
        System.Runtime.InteropServices.MemoryMarshal.AsMemory(chunk.Memory).Span;

    /// <summary>Loads the chunk index from its segments; a damaged segment is replaced by reading the packs' headers.</summary>
    public async Task LoadIndexAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var segment in Store.ListAsync(ChunkIndex.Prefix, cancellationToken))
        {
            try
            {
                var bytes = await ReadObjectAsync(Store, segment.Name, cancellationToken);
                if (bytes is null)
                {
                    continue;
                }

                foreach (var (pack, entries) in ChunkIndex.Deserialize(MetadataCodec.Decode(Cipher, segment.Name, bytes), segment.Name))
                {
                    Index.AddPack(pack, entries);
                    known.Add(pack);
                }
            }
            catch (PoolDataException ex)
            {
                problems.Add(ex.Message);
            }
        }

        if (problems.Count > 0)
        {
            // Recover what the damaged segments described from the packs themselves.
            await foreach (var pack in ListPacksAsync(cancellationToken))
            {
                if (!known.Contains(pack))
                {
                    try
                    {
                        Index.AddPack(pack, await PackFormat.ReadHeaderAsync(Store, pack, Cipher, cancellationToken));
                    }
                    catch (PoolDataException ex)
                    {
                        problems.Add(ex.Message);
                    }
                }
            }
        }

        Index.SetCondemned(await GarbageCollector.ReadCondemnedPacksAsync(this, cancellationToken));
        IndexProblems = problems;
    }

    /// <summary>Recreates the chunk index from the packs' headers and replaces every index segment with one new segment.</summary>
    public async Task<(int Packs, int Chunks, IReadOnlyList<string> Problems)> RebuildIndexAsync(CancellationToken cancellationToken)
    {
        var packs = new Dictionary<string, IReadOnlyList<PackEntry>>(StringComparer.Ordinal);
        var problems = new List<string>();
        await foreach (var pack in ListPacksAsync(cancellationToken))
        {
            try
            {
                packs[pack] = await PackFormat.ReadHeaderAsync(Store, pack, Cipher, cancellationToken);
            }
            catch (PoolDataException ex)
            {
                problems.Add(ex.Message);
            }
        }

        var oldSegments = new List<string>();
        await foreach (var segment in Store.ListAsync(ChunkIndex.Prefix, cancellationToken))
        {
            oldSegments.Add(segment.Name);
        }

        var name = await WriteIndexSegmentAsync(packs, cancellationToken);
        foreach (var old in oldSegments.Where(o => o != name))
        {
            await Store.DeleteAsync(old, cancellationToken);
        }

        foreach (var (pack, entries) in packs)
        {
            Index.AddPack(pack, entries);
        }

        Index.RemovePacks(Index.Packs.Keys.Where(p => !packs.ContainsKey(p)).ToHashSet(StringComparer.Ordinal));
        IndexProblems = [];
        return (packs.Count, packs.Values.Sum(e => e.Count), problems);
    }

    internal async Task<string> WriteIndexSegmentAsync(IReadOnlyCollection<KeyValuePair<string, IReadOnlyList<PackEntry>>> packs, CancellationToken cancellationToken)
    {
        var name = $"{ChunkIndex.Prefix}{Time.GetUtcNow().UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        var bytes = MetadataCodec.Encode(Cipher, name, ChunkIndex.Serialize(packs), Config.CompressionLevel);
        await Store.PutAsync(name, new MemoryStream(bytes), null, cancellationToken);
        return name;
    }

    internal async IAsyncEnumerable<string> ListPacksAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var obj in Store.ListAsync(PackFormat.Prefix, cancellationToken))
        {
            if (PackFormat.IsPackName(obj.Name))
            {
                yield return obj.Name;
            }
        }
    }

    internal async Task<RecoveryPointManifest?> ReadManifestObjectAsync(string objectName, CancellationToken cancellationToken)
    {
        var bytes = await ReadObjectAsync(Store, objectName, cancellationToken);
        if (bytes is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<RecoveryPointManifest>(MetadataCodec.Decode(Cipher, objectName, bytes), RecoveryPointManifest.Json)
                ?? throw new PoolDataException($"recovery point '{RecoveryPointManifest.IdOf(objectName)}' is empty");
        }
        catch (JsonException ex)
        {
            throw new PoolDataException($"recovery point '{RecoveryPointManifest.IdOf(objectName)}' is damaged: {ex.Message}", ex);
        }
    }

    /// <summary>A data source's latest manifest as kept in memory, or read (and then kept).</summary>
    private async Task<RecoveryPointManifest?> ReadLatestManifestObjectAsync(string dataSourceKey, string objectName, CancellationToken cancellationToken)
    {
        if (_manifests.TryGetValue(dataSourceKey, out RecoveryPointManifest? known) && known!.ObjectName == objectName)
        {
            return known;
        }

        var manifest = await ReadManifestObjectAsync(objectName, cancellationToken);
        Remember(manifest);
        return manifest;
    }

    private void Remember(RecoveryPointManifest? manifest)
    {
        if (manifest is not null && manifest.Items.Count < ManifestCacheItems)
        {
            _manifests.Set(RecoveryPointManifest.DataSourceKey(manifest.Computer, manifest.DataSourceId), manifest, new MemoryCacheEntryOptions { Size = manifest.Items.Count + 1 });
        }
    }

    internal async Task WriteManifestAsync(RecoveryPointManifest manifest, CancellationToken cancellationToken)
    {
        var bytes = MetadataCodec.EncodeJson(Cipher, manifest.ObjectName, manifest, RecoveryPointManifest.Json, Config.CompressionLevel);
        if (await Store.PutAsync(manifest.ObjectName, new MemoryStream(bytes), null, cancellationToken) != Dpm.Contracts.Storage.PutOutcome.Stored)
        {
            throw new InvalidOperationException($"recovery point '{manifest.Id}' already exists");
        }

        Remember(manifest);
    }

    internal static async Task<byte[]?> ReadObjectAsync(IObjectStore store, string name, CancellationToken cancellationToken)
    {
        await using var stream = await store.OpenReadAsync(name, cancellationToken);
        if (stream is null)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private static async Task PutJsonAsync<T>(IObjectStore store, string name, T value, CancellationToken cancellationToken) =>
        await store.PutAsync(name, new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(value, PoolKey.Json)), null, cancellationToken);

    private static async Task<T?> ReadJsonAsync<T>(IObjectStore store, string name, CancellationToken cancellationToken)
    {
        var bytes = await ReadObjectAsync(store, name, cancellationToken);
        try
        {
            return bytes is null ? default : JsonSerializer.Deserialize<T>(bytes, PoolKey.Json);
        }
        catch (JsonException ex)
        {
            throw new PoolDataException($"'{name}' in the pool at {store.Location} is damaged: {ex.Message}", ex);
        }
    }

    private static async IAsyncEnumerable<PoolKey> ReadKeysAsync(IObjectStore store, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var obj in store.ListAsync(KeysPrefix, cancellationToken))
        {
            PoolKey? key;
            try
            {
                key = await ReadJsonAsync<PoolKey>(store, obj.Name, cancellationToken);
            }
            catch (PoolDataException)
            {
                continue; // a damaged key file opens nothing; another key may still open the pool
            }

            if (key is not null)
            {
                yield return key;
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Cipher.Dispose();
        foreach (var d in _decompressor.Values)
        {
            d.Dispose();
        }

        _decompressor.Dispose();
        _manifests.Dispose();
        if (_masterKey is not null)
        {
            CryptographicOperations.ZeroMemory(_masterKey);
        }
    }
}
