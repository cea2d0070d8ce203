using System.Security.Cryptography;

namespace Dpm.Storage.Crypto;

/// <summary>
/// Seals and opens the pool's objects. With encryption every blob is AES-256-GCM under the pool's master key
/// (random 96-bit nonce, 128-bit tag, the blob's identity as associated data); without it, a BLAKE3 hash
/// over the identity and the content stands in for the tag, so damage is still always detected.
/// </summary>
public abstract class PoolCipher : IDisposable
{
    public abstract bool IsEncrypted { get; }

    /// <summary>Bytes a sealed blob has on top of its plaintext.</summary>
    public abstract int Overhead { get; }

    /// <summary>Writes the sealed form of <paramref name="plaintext"/> to <paramref name="destination"/> (length plaintext + <see cref="Overhead"/>).</summary>
    public abstract void Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> destination);

    /// <summary>Opens a sealed blob into <paramref name="destination"/> (length sealed - <see cref="Overhead"/>); false when it was altered.</summary>
    public abstract bool TryOpen(ReadOnlySpan<byte> sealedBlob, ReadOnlySpan<byte> associatedData, Span<byte> destination);

    public byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var sealedBlob = new byte[plaintext.Length + Overhead];
        Seal(plaintext, associatedData, sealedBlob);
        return sealedBlob;
    }

    /// <summary>Opens a sealed blob, or throws <see cref="PoolDataException"/> naming <paramref name="what"/> when it was altered.</summary>
    public byte[] Open(ReadOnlySpan<byte> sealedBlob, ReadOnlySpan<byte> associatedData, string what)
    {
        if (sealedBlob.Length < Overhead)
        {
            throw new PoolDataException($"{what} is damaged: it is shorter than its authentication data");
        }

        var plaintext = new byte[sealedBlob.Length - Overhead];
        if (!TryOpen(sealedBlob, associatedData, plaintext))
        {
            throw new PoolDataException($"{what} is damaged: its authentication check failed");
        }

        return plaintext;
    }

    public static PoolCipher Create(byte[]? masterKey) => masterKey is null ? new HashOnlyCipher() : new AesGcmCipher((byte[])masterKey.Clone());

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    private sealed class AesGcmCipher(byte[] key) : PoolCipher
    {
        private const int NonceSize = 12;
        private const int TagSize = 16;
        private readonly ThreadLocal<AesGcm> _aes = new(() => new AesGcm(key, TagSize), trackAllValues: true);
        private bool _disposed;

        public override bool IsEncrypted => true;

        public override int Overhead => NonceSize + TagSize;

        public override void Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> destination)
        {
            var nonce = destination[..NonceSize];
            RandomNumberGenerator.Fill(nonce);
            _aes.Value!.Encrypt(nonce, plaintext, destination.Slice(NonceSize, plaintext.Length), destination[(NonceSize + plaintext.Length)..], associatedData);
        }

        public override bool TryOpen(ReadOnlySpan<byte> sealedBlob, ReadOnlySpan<byte> associatedData, Span<byte> destination)
        {
            var length = sealedBlob.Length - Overhead;
            try
            {
                _aes.Value!.Decrypt(sealedBlob[..NonceSize], sealedBlob.Slice(NonceSize, length), sealedBlob[(NonceSize + length)..], destination[..length], associatedData);
                return true;
            }
            catch (AuthenticationTagMismatchException)
            {
                return false;
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                foreach (var aes in _aes.Values)
                {
                    aes.Dispose();
                }

                _aes.Dispose();
                CryptographicOperations.ZeroMemory(key);
            }

            base.Dispose(disposing);
        }
    }

    private sealed class HashOnlyCipher : PoolCipher
    {
        private const int HashSize = 32;

        public override bool IsEncrypted => false;

        public override int Overhead => HashSize;

        public override void Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> destination)
        {
            Hash(plaintext, associatedData, destination[..HashSize]);
            plaintext.CopyTo(destination[HashSize..]);
        }

        public override bool TryOpen(ReadOnlySpan<byte> sealedBlob, ReadOnlySpan<byte> associatedData, Span<byte> destination)
        {
            Span<byte> hash = stackalloc byte[HashSize];
            Hash(sealedBlob[HashSize..], associatedData, hash);
            if (!CryptographicOperations.FixedTimeEquals(hash, sealedBlob[..HashSize]))
            {
                return false;
            }

            sealedBlob[HashSize..].CopyTo(destination);
            return true;
        }

        private static void Hash(ReadOnlySpan<byte> content, ReadOnlySpan<byte> associatedData, Span<byte> hash)
        {
            using var hasher = Blake3.Hasher.New();
            hasher.Update(associatedData);
            hasher.Update(content);
            hasher.Finalize(hash);
        }
    }
}
