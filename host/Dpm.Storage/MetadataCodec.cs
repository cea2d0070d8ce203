using System.Text;
using Dpm.Storage.Crypto;
using ZstdSharp;

namespace Dpm.Storage;

/// <summary>
/// Encodes the pool's metadata objects (index segments, manifests, GC records): one flag byte (0 raw,
/// 1 zstd), the content, all sealed by the pool's cipher with the object's name as associated data, so
/// an object moved to another name fails to open.
/// </summary>
internal static class MetadataCodec
{
    public static byte[] Encode(PoolCipher cipher, string objectName, ReadOnlySpan<byte> content, int level)
    {
        using var compressor = new Compressor(level);
        var compressed = compressor.Wrap(content);
        var plain = new byte[1 + compressed.Length];
        plain[0] = 1;
        compressed.CopyTo(plain.AsSpan(1));
        return cipher.Seal(plain, Encoding.UTF8.GetBytes(objectName));
    }

    /// <summary>Like <see cref="Encode"/>, for a value serialized to JSON: streamed through the compressor, so the JSON is never whole in memory.</summary>
    public static byte[] EncodeJson<T>(PoolCipher cipher, string objectName, T value, System.Text.Json.JsonSerializerOptions options, int level)
    {
        using var plain = new MemoryStream();
        plain.WriteByte(1);
        using (var compressing = new CompressionStream(plain, level, leaveOpen: true))
        {
            System.Text.Json.JsonSerializer.Serialize(compressing, value, options);
        }

        return cipher.Seal(plain.GetBuffer().AsSpan(0, (int)plain.Length), Encoding.UTF8.GetBytes(objectName));
    }

    public static byte[] Decode(PoolCipher cipher, string objectName, ReadOnlySpan<byte> sealedObject)
    {
        var plain = cipher.Open(sealedObject, Encoding.UTF8.GetBytes(objectName), $"'{objectName}'");
        return plain[0] switch
        {
            0 => plain[1..],
            1 => Decompress(plain.AsSpan(1), objectName),
            _ => throw new PoolDataException($"'{objectName}' has an unknown encoding {plain[0]}"),
        };
    }

    private static byte[] Decompress(ReadOnlySpan<byte> compressed, string objectName)
    {
        try
        {
            using var decompressor = new Decompressor();
            return decompressor.Unwrap(compressed).ToArray();
        }
        catch (ZstdException ex)
        {
            throw new PoolDataException($"'{objectName}' is damaged: {ex.Message}", ex);
        }
    }
}
