using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Konscious.Security.Cryptography;

namespace Dpm.Storage.Crypto;

/// <summary>Argon2id cost parameters, stored with each passphrase key so they can be raised later.</summary>
public sealed record KdfParameters(string Algorithm, int MemoryKiB, int Iterations, int Parallelism)
{
    /// <summary>
    /// 32 MiB, 4 passes, 2 lanes: about a third of a second here, and above the OWASP minimum for Argon2id
    /// (19 MiB, 2 passes). More memory would raise the peak memory of every process that opens the pool.
    /// </summary>
    public static KdfParameters Default { get; } = new("argon2id", 32 * 1024, 4, 2);
}

/// <summary>
/// One wrapping of the pool's master key, stored as <c>keys/&lt;id&gt;</c>: the master key encrypted (AES-256-GCM)
/// under a key derived from a passphrase (Argon2id) or a key file (HKDF-SHA256). Adding, removing or rotating a
/// wrapping never touches the data, which is encrypted under the master key.
/// </summary>
public sealed record PoolKey
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    public KdfParameters? Kdf { get; init; }
    public required string Salt { get; init; }
    public required string Nonce { get; init; }
    public required string Wrapped { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static PoolKey Wrap(byte[] masterKey, PoolCredentials credentials, string poolId, KdfParameters? kdf, DateTimeOffset now)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var salt = RandomNumberGenerator.GetBytes(16);
        var (kind, parameters) = credentials switch
        {
            PoolCredentials.Passphrase => ("passphrase", kdf ?? KdfParameters.Default),
            PoolCredentials.KeyFile => ("key-file", (KdfParameters?)null),
            _ => throw new ArgumentException("an encrypted pool needs a passphrase or a key file", nameof(credentials)),
        };
        var wrappingKey = DeriveWrappingKey(credentials, salt, parameters);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var wrapped = new byte[masterKey.Length + 16];
        using (var aes = new AesGcm(wrappingKey, 16))
        {
            aes.Encrypt(nonce, masterKey, wrapped.AsSpan(0, masterKey.Length), wrapped.AsSpan(masterKey.Length), AssociatedData(poolId, id));
        }

        CryptographicOperations.ZeroMemory(wrappingKey);
        return new PoolKey
        {
            Id = id,
            Kind = kind,
            Kdf = parameters,
            Salt = Convert.ToBase64String(salt),
            Nonce = Convert.ToBase64String(nonce),
            Wrapped = Convert.ToBase64String(wrapped),
            CreatedAt = now,
        };
    }

    /// <summary>The master key, or null when these credentials don't open this wrapping.</summary>
    public byte[]? TryUnwrap(PoolCredentials credentials, string poolId)
    {
        if ((Kind == "passphrase") != credentials is PoolCredentials.Passphrase || (Kind == "key-file") != credentials is PoolCredentials.KeyFile)
        {
            return null;
        }

        var wrappingKey = DeriveWrappingKey(credentials, Convert.FromBase64String(Salt), Kdf);
        var wrapped = Convert.FromBase64String(Wrapped);
        var masterKey = new byte[wrapped.Length - 16];
        try
        {
            using var aes = new AesGcm(wrappingKey, 16);
            aes.Decrypt(Convert.FromBase64String(Nonce), wrapped.AsSpan(0, masterKey.Length), wrapped.AsSpan(masterKey.Length), masterKey, AssociatedData(poolId, Id));
            return masterKey;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrappingKey);
        }
    }

    private static byte[] AssociatedData(string poolId, string keyId) => Encoding.UTF8.GetBytes($"dpm-pool-key:{poolId}:{keyId}");

    private static byte[] DeriveWrappingKey(PoolCredentials credentials, byte[] salt, KdfParameters? kdf)
    {
        switch (credentials)
        {
            case PoolCredentials.Passphrase passphrase:
                if (kdf is not { Algorithm: "argon2id" })
                {
                    throw new PoolDataException($"key derivation '{kdf?.Algorithm}' is not supported");
                }

                using (var argon = new Argon2id(PoolCredentials.Utf8(passphrase.Value)))
                {
                    argon.Salt = salt;
                    argon.MemorySize = kdf.MemoryKiB;
                    argon.Iterations = kdf.Iterations;
                    argon.DegreeOfParallelism = kdf.Parallelism;
                    return argon.GetBytes(32);
                }

            case PoolCredentials.KeyFile keyFile:
                return HKDF.DeriveKey(HashAlgorithmName.SHA256, keyFile.Secret(), 32, salt, Encoding.UTF8.GetBytes("dpm-pool-key-file"));
            default:
                throw new PoolAccessDeniedException("the pool is encrypted: give its passphrase or key file");
        }
    }
}
