using System.Text;
using Dpm.Storage.Packs;

namespace Dpm.Storage.Index;

/// <summary>Where a chunk is: a pack and an entry in it.</summary>
public readonly record struct BlobLocation(string Pack, PackEntry Entry);

/// <summary>
/// The chunk index: which pack holds each chunk. It is a cache of the packs' own headers, kept as index
/// segments (<c>index/&lt;id&gt;</c>) so that opening a pool doesn't read every pack; <c>rebuild-index</c>
/// recreates it from the packs. Thread-safe.
/// </summary>
public sealed class ChunkIndex
{
    public const string Prefix = "index/";
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IReadOnlyList<PackEntry>> _packs = new(StringComparer.Ordinal);
    private readonly Dictionary<ChunkId, BlobLocation> _chunks = [];
    private HashSet<string> _condemned = new(StringComparer.Ordinal);

    public int ChunkCount
    {
        get
        {
            lock (_gate)
            {
                return _chunks.Count;
            }
        }
    }

    /// <summary>The chunk's location, unless it is only in packs condemned by garbage collection.</summary>
    public bool TryGet(ChunkId id, out BlobLocation location)
    {
        lock (_gate)
        {
            return _chunks.TryGetValue(id, out location) && !_condemned.Contains(location.Pack);
        }
    }

    /// <summary>The chunk's location, in any pack that still exists.</summary>
    public bool TryGetAny(ChunkId id, out BlobLocation location)
    {
        lock (_gate)
        {
            return _chunks.TryGetValue(id, out location);
        }
    }

    public void AddPack(string pack, IReadOnlyList<PackEntry> entries)
    {
        lock (_gate)
        {
            _packs[pack] = entries;
            foreach (var entry in entries)
            {
                // Prefer a location in a pack that isn't condemned.
                if (!_chunks.TryGetValue(entry.Id, out var existing) || _condemned.Contains(existing.Pack))
                {
                    _chunks[entry.Id] = new BlobLocation(pack, entry);
                }
            }
        }
    }

    public void RemovePacks(IReadOnlySet<string> packs)
    {
        lock (_gate)
        {
            foreach (var pack in packs)
            {
                _packs.Remove(pack);
            }

            _chunks.Clear();
            foreach (var (pack, entries) in _packs)
            {
                foreach (var entry in entries)
                {
                    if (!_chunks.TryGetValue(entry.Id, out var existing) || (_condemned.Contains(existing.Pack) && !_condemned.Contains(pack)))
                    {
                        _chunks[entry.Id] = new BlobLocation(pack, entry);
                    }
                }
            }
        }
    }

    /// <summary>Packs garbage collection has condemned: new recovery points don't use their chunks.</summary>
    public void SetCondemned(IEnumerable<string> packs)
    {
        lock (_gate)
        {
            _condemned = new HashSet<string>(packs, StringComparer.Ordinal);
        }
    }

    public bool IsCondemned(string pack)
    {
        lock (_gate)
        {
            return _condemned.Contains(pack);
        }
    }

    public IReadOnlyDictionary<string, IReadOnlyList<PackEntry>> Packs
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, IReadOnlyList<PackEntry>>(_packs, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Binary form of an index segment: "DPMI", version, packs with their entries.</summary>
    public static byte[] Serialize(IReadOnlyCollection<KeyValuePair<string, IReadOnlyList<PackEntry>>> packs)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write("DPMI"u8);
        writer.Write((byte)1);
        writer.Write(packs.Count);
        Span<byte> id = stackalloc byte[ChunkId.Size];
        foreach (var (pack, entries) in packs)
        {
            writer.Write(pack);
            writer.Write(entries.Count);
            foreach (var e in entries)
            {
                e.Id.Write(id);
                writer.Write(id);
                writer.Write(e.Offset);
                writer.Write(e.Length);
                writer.Write(e.RawLength);
                writer.Write((byte)e.Encoding);
            }
        }

        writer.Flush();
        return stream.ToArray();
    }

    public static List<KeyValuePair<string, IReadOnlyList<PackEntry>>> Deserialize(byte[] segment, string objectName)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(segment), Encoding.UTF8);
            if (!reader.ReadBytes(4).AsSpan().SequenceEqual("DPMI"u8) || reader.ReadByte() != 1)
            {
                throw new PoolDataException($"index segment '{objectName}' has an unknown format");
            }

            var packCount = reader.ReadInt32();
            var result = new List<KeyValuePair<string, IReadOnlyList<PackEntry>>>(packCount);
            for (var p = 0; p < packCount; p++)
            {
                var pack = reader.ReadString();
                var count = reader.ReadInt32();
                var entries = new PackEntry[count];
                for (var i = 0; i < count; i++)
                {
                    var id = ChunkId.Read(reader.ReadBytes(ChunkId.Size));
                    entries[i] = new PackEntry(id, reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), (BlobEncoding)reader.ReadByte());
                }

                result.Add(new(pack, entries));
            }

            return reader.BaseStream.Position == segment.Length ? result : throw new PoolDataException($"index segment '{objectName}' has trailing bytes");
        }
        catch (EndOfStreamException ex)
        {
            throw new PoolDataException($"index segment '{objectName}' is truncated", ex);
        }
    }
}
