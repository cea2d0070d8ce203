namespace Dpm.Storage;

/// <summary>A pool's settings, stored unencrypted as the object <c>config</c> when the pool is created.</summary>
public sealed record PoolConfig
{
    public const string ObjectName = "config";
    public const string CurrentFormat = "dpm-pool/1";

    public string Format { get; init; } = CurrentFormat;
    public required string Id { get; init; }

    /// <summary><c>aes-256-gcm</c>, or <c>none</c> for a pool created unencrypted on purpose.</summary>
    public required string Encryption { get; init; }

    public string ChunkHash { get; init; } = "blake3";
    public int ChunkMinSize { get; init; } = Chunking.FastCdcChunker.DefaultMinSize;
    public int ChunkAverageSize { get; init; } = Chunking.FastCdcChunker.DefaultAverageSize;
    public int ChunkMaxSize { get; init; } = Chunking.FastCdcChunker.DefaultMaxSize;
    public int FixedChunkSize { get; init; } = Chunking.FixedSizeChunker.DefaultSize;

    /// <summary>zstd level for chunks and metadata (1 fastest … 19 smallest).</summary>
    public int CompressionLevel { get; init; } = 1;

    /// <summary>A pack is closed once it holds at least this many bytes.</summary>
    public int PackSize { get; init; } = 16 << 20;

    public required DateTimeOffset CreatedAt { get; init; }

    public bool IsEncrypted => Encryption != "none";
}

/// <summary>How to create a pool.</summary>
public sealed record PoolCreateOptions
{
    /// <summary>Opens the new pool's master key; <see cref="Crypto.PoolCredentials.None"/> creates an unencrypted pool.</summary>
    public required Crypto.PoolCredentials Credentials { get; init; }

    public int CompressionLevel { get; init; } = 1;
    public int ChunkMinSize { get; init; } = Chunking.FastCdcChunker.DefaultMinSize;
    public int ChunkAverageSize { get; init; } = Chunking.FastCdcChunker.DefaultAverageSize;
    public int ChunkMaxSize { get; init; } = Chunking.FastCdcChunker.DefaultMaxSize;
    public int FixedChunkSize { get; init; } = Chunking.FixedSizeChunker.DefaultSize;
    public int PackSize { get; init; } = 16 << 20;

    /// <summary>Argon2id cost for a passphrase key (defaults to <see cref="Crypto.KdfParameters.Default"/>).</summary>
    public Crypto.KdfParameters? Kdf { get; init; }
}
