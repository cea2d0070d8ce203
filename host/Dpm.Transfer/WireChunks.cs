using Dpm.Storage;
using Dpm.Transfer.Wire;
using Google.Protobuf;
using ZstdSharp;

namespace Dpm.Transfer;

/// <summary>Chunks on the wire: zstd-compressed when asked and when it saves something, checked on arrival.</summary>
public static class WireChunks
{
    /// <summary>zstd level on the wire: fast enough not to slow a synchronization down.</summary>
    private const int Level = 3;

    public static ChunkData Pack(ChunkId id, ReadOnlySpan<byte> data, bool compress)
    {
        var message = new ChunkData { Id = ByteString.CopyFrom(id.ToBytes()), RawLength = (uint)data.Length };
        if (compress)
        {
            using var compressor = new Compressor(Level);
            var packed = compressor.Wrap(data);
            if (packed.Length < data.Length - (data.Length / 32))
            {
                message.Data = ByteString.CopyFrom(packed);
                message.Compressed = true;
                return message;
            }
        }

        message.Data = ByteString.CopyFrom(data);
        return message;
    }

    /// <summary>The chunk's id and plaintext; the id is not checked here (the receiver checks it against the data).</summary>
    public static (ChunkId Id, byte[] Data) Unpack(ChunkData message, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Id.Length != ChunkId.Size)
        {
            throw new InvalidDataException($"a chunk id is {ChunkId.Size} bytes, not {message.Id.Length}");
        }

        var id = ChunkId.Read(message.Id.Span);
        if (!message.Compressed)
        {
            return (id, message.Data.ToByteArray());
        }

        if (message.RawLength > maxLength)
        {
            throw new InvalidDataException($"chunk {id} claims {message.RawLength} bytes, more than the largest chunk ({maxLength})");
        }

        using var decompressor = new Decompressor();
        var data = new byte[message.RawLength];
        try
        {
            if (decompressor.Unwrap(message.Data.Span, data) != data.Length)
            {
                throw new InvalidDataException($"chunk {id} is not {message.RawLength} bytes once decompressed");
            }
        }
        catch (ZstdException ex)
        {
            throw new InvalidDataException($"chunk {id} doesn't decompress: {ex.Message}", ex);
        }

        return (id, data);
    }
}
