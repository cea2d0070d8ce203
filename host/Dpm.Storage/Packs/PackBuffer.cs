namespace Dpm.Storage.Packs;

/// <summary>A pack being filled: sealed blobs appended to one buffer, then the header and trailer.</summary>
internal sealed class PackBuffer(int capacity)
{
    private byte[] _buffer = new byte[capacity];

    public List<PackEntry> Entries { get; } = [];

    public int Length { get; private set; }

    public int Count => Entries.Count;

    public void Append(ChunkId id, ReadOnlySpan<byte> plain, int rawLength, BlobEncoding encoding, Crypto.PoolCipher cipher)
    {
        var size = plain.Length + cipher.Overhead;
        Ensure(Length + size);
        Span<byte> aad = stackalloc byte[ChunkId.Size];
        id.Write(aad);
        cipher.Seal(plain, aad, _buffer.AsSpan(Length, size));
        Entries.Add(new PackEntry(id, (uint)Length, (uint)size, (uint)rawLength, encoding));
        Length += size;
    }

    /// <summary>Appends a blob that is already sealed (copied from another pack by repacking).</summary>
    public void AppendSealed(PackEntry entry, ReadOnlySpan<byte> sealedBlob)
    {
        Ensure(Length + sealedBlob.Length);
        sealedBlob.CopyTo(_buffer.AsSpan(Length));
        Entries.Add(entry with { Offset = (uint)Length, Length = (uint)sealedBlob.Length });
        Length += sealedBlob.Length;
    }

    public (string PackId, byte[] Bytes, int Length) Finish(Crypto.PoolCipher cipher)
    {
        var tail = PackFormat.BuildTail(Entries, cipher);
        Ensure(Length + tail.Length);
        tail.CopyTo(_buffer, Length);
        var total = Length + tail.Length;
        Span<byte> hash = stackalloc byte[32];
        Blake3.Hasher.Hash(_buffer.AsSpan(0, total), hash);
        return (Convert.ToHexStringLower(hash), _buffer, total);
    }

    public void Reset()
    {
        Entries.Clear();
        Length = 0;
    }

    private void Ensure(int size)
    {
        if (size > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(size, _buffer.Length + (_buffer.Length / 4)));
        }
    }
}
