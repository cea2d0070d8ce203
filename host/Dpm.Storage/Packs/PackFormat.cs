using System.Buffers.Binary;
using System.Text;
using Dpm.Storage.Crypto;

namespace Dpm.Storage.Packs;

[Flags]
public enum BlobEncoding : byte
{
    None = 0,
    Compressed = 1,
}

/// <summary>Where one chunk's blob is inside a pack.</summary>
public readonly record struct PackEntry(ChunkId Id, uint Offset, uint Length, uint RawLength, BlobEncoding Encoding);

/// <summary>
/// A pack object: the sealed blobs one after another, then the pack's sealed header (the list of its
/// entries), then the header's length (4 bytes, little-endian) and the magic <c>DPMPACK1</c>. Each pack
/// describes itself, so the chunk index can always be rebuilt from the packs alone.
/// </summary>
public static class PackFormat
{
    public const string Prefix = "data/";
    public const int TrailerSize = 12;
    private const int EntrySize = ChunkId.Size + 13;
    private static readonly byte[] Magic = "DPMPACK1"u8.ToArray();
    private static readonly byte[] HeaderMagic = "DPMH"u8.ToArray();
    private static readonly byte[] HeaderAad = Encoding.UTF8.GetBytes("pack-header");

    public static string ObjectName(string packId) => $"{Prefix}{packId[..2]}/{packId}";

    public static string PackIdOf(string objectName) => objectName[(objectName.LastIndexOf('/') + 1)..];

    public static bool IsPackName(string objectName) =>
        objectName.StartsWith(Prefix, StringComparison.Ordinal) && PackIdOf(objectName).Length == 64 && !objectName.Contains(".tmp", StringComparison.Ordinal);

    /// <summary>The sealed header and trailer that end a pack holding <paramref name="entries"/>.</summary>
    public static byte[] BuildTail(IReadOnlyList<PackEntry> entries, PoolCipher cipher)
    {
        var header = new byte[HeaderMagic.Length + 1 + 4 + (entries.Count * EntrySize)];
        HeaderMagic.CopyTo(header, 0);
        header[4] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(5), entries.Count);
        var at = 9;
        foreach (var e in entries)
        {
            e.Id.Write(header.AsSpan(at));
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(at + 32), e.Offset);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(at + 36), e.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(at + 40), e.RawLength);
            header[at + 44] = (byte)e.Encoding;
            at += EntrySize;
        }

        var sealedHeader = cipher.Seal(header, HeaderAad);
        var tail = new byte[sealedHeader.Length + TrailerSize];
        sealedHeader.CopyTo(tail, 0);
        BinaryPrimitives.WriteInt32LittleEndian(tail.AsSpan(sealedHeader.Length), sealedHeader.Length);
        Magic.CopyTo(tail, sealedHeader.Length + 4);
        return tail;
    }

    /// <summary>Reads a pack's entries from the end of the pack (two ranged reads).</summary>
    public static async Task<IReadOnlyList<PackEntry>> ReadHeaderAsync(Dpm.Contracts.Spi.IObjectStore store, string objectName, PoolCipher cipher, CancellationToken cancellationToken)
    {
        var info = await store.GetInfoAsync(objectName, cancellationToken) ?? throw new PoolDataException($"pack '{objectName}' is missing");
        if (info.Length < TrailerSize)
        {
            throw new PoolDataException($"pack '{objectName}' is damaged: it is too short ({info.Length} bytes)");
        }

        var trailer = await ReadRangeAsync(store, objectName, info.Length - TrailerSize, TrailerSize, cancellationToken);
        var headerLength = CheckTrailer(trailer, info.Length, objectName);
        var header = await ReadRangeAsync(store, objectName, info.Length - TrailerSize - headerLength, headerLength, cancellationToken);
        return ParseHeader(header, cipher, info.Length - TrailerSize - headerLength, objectName);
    }

    /// <summary>Reads a pack's entries from the whole pack's bytes.</summary>
    public static IReadOnlyList<PackEntry> ReadHeader(ReadOnlySpan<byte> pack, PoolCipher cipher, string objectName)
    {
        if (pack.Length < TrailerSize)
        {
            throw new PoolDataException($"pack '{objectName}' is damaged: it is too short ({pack.Length} bytes)");
        }

        var headerLength = CheckTrailer(pack[^TrailerSize..], pack.Length, objectName);
        var headerStart = pack.Length - TrailerSize - headerLength;
        return ParseHeader(pack.Slice(headerStart, headerLength), cipher, headerStart, objectName);
    }

    private static int CheckTrailer(ReadOnlySpan<byte> trailer, long packLength, string objectName)
    {
        if (!trailer[4..].SequenceEqual(Magic))
        {
            throw new PoolDataException($"pack '{objectName}' is damaged: its trailer is not a pack trailer");
        }

        var headerLength = BinaryPrimitives.ReadInt32LittleEndian(trailer);
        if (headerLength <= 0 || headerLength > packLength - TrailerSize)
        {
            throw new PoolDataException($"pack '{objectName}' is damaged: its header length {headerLength} is impossible");
        }

        return headerLength;
    }

    private static List<PackEntry> ParseHeader(ReadOnlySpan<byte> sealedHeader, PoolCipher cipher, long blobsEnd, string objectName)
    {
        var header = cipher.Open(sealedHeader, HeaderAad, $"the header of pack '{objectName}'");
        if (header.Length < 9 || !header.AsSpan(0, 4).SequenceEqual(HeaderMagic) || header[4] != 1)
        {
            throw new PoolDataException($"pack '{objectName}' is damaged: its header has an unknown format");
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(5));
        if (count < 0 || header.Length != 9 + ((long)count * EntrySize))
        {
            throw new PoolDataException($"pack '{objectName}' is damaged: its header's entry count {count} does not fit its size");
        }

        var entries = new List<PackEntry>(count);
        for (var i = 0; i < count; i++)
        {
            var at = 9 + (i * EntrySize);
            var entry = new PackEntry(
                ChunkId.Read(header.AsSpan(at)),
                BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(at + 32)),
                BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(at + 36)),
                BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(at + 40)),
                (BlobEncoding)header[at + 44]);
            if ((long)entry.Offset + entry.Length > blobsEnd)
            {
                throw new PoolDataException($"pack '{objectName}' is damaged: entry {i} points past the blobs");
            }

            entries.Add(entry);
        }

        return entries;
    }

    internal static async Task<byte[]> ReadRangeAsync(Dpm.Contracts.Spi.IObjectStore store, string objectName, long offset, int length, CancellationToken cancellationToken)
    {
        var buffer = new byte[length];
        await ReadRangeAsync(store, objectName, offset, buffer, cancellationToken);
        return buffer;
    }

    /// <summary>Reads exactly <paramref name="destination"/>'s length from an object at <paramref name="offset"/>.</summary>
    internal static async Task ReadRangeAsync(Dpm.Contracts.Spi.IObjectStore store, string objectName, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        await using var stream = await store.OpenReadAsync(objectName, new Dpm.Contracts.ByteRange(offset, destination.Length), cancellationToken)
            ?? throw new PoolDataException($"pack '{objectName}' is missing");
        var read = 0;
        while (read < destination.Length)
        {
            var n = await stream.ReadAsync(destination[read..], cancellationToken);
            if (n == 0)
            {
                throw new PoolDataException($"pack '{objectName}' is damaged: it ended {destination.Length - read} bytes early at offset {offset + read}");
            }

            read += n;
        }
    }
}
