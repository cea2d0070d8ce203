using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dpm.Contracts.Workloads;

namespace Dpm.Storage.Manifests;

/// <summary>One item of a recovery point: the item with its metadata, and its data as a list of chunks.</summary>
public sealed record ManifestItem(ProtectedItem Item, IReadOnlyList<ChunkId> Chunks);

/// <summary>What a backup added to the pool.</summary>
public sealed record RecoveryPointStats
{
    public long Items { get; init; }
    public long Bytes { get; init; }
    public long BytesRead { get; init; }
    public long NewChunks { get; init; }
    public long NewBytes { get; init; }
    public long StoredBytes { get; init; }
}

/// <summary>
/// A recovery point: an immutable manifest (<c>manifests/&lt;data source key&gt;/&lt;id&gt;</c>) listing every
/// item with its metadata and chunks. Writing it is the commit: until it exists, nothing of the backup is
/// visible; once it exists, everything it names is in the pool.
/// </summary>
public sealed record RecoveryPointManifest
{
    public const string Prefix = "manifests/";

    public required string Id { get; init; }
    public required string DataSourceId { get; init; }
    public required string DataSourceName { get; init; }
    public string? PluginId { get; init; }
    public string? Computer { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public RecoveryPointKind Kind { get; init; } = RecoveryPointKind.ExpressFull;
    public SnapshotConsistency Consistency { get; init; } = SnapshotConsistency.CrashConsistent;
    public string? ParentId { get; init; }
    public string? ChangeToken { get; init; }
    public RecoveryPointStats Stats { get; init; } = new();
    public required IReadOnlyList<ManifestItem> Items { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public RecoveryPointInfo ToInfo() => new(Id, CreatedAt, Kind, Consistency);

    public string ObjectName => ObjectNameOf(Computer, DataSourceId, Id);

    public static string ObjectNameOf(string? computer, string dataSourceId, string recoveryPointId) => $"{Prefix}{DataSourceKey(computer, dataSourceId)}/{recoveryPointId}";

    /// <summary>
    /// The folder name of a data source's manifests: a hash of its computer and id, so names don't show in the
    /// store and two computers' data sources with the same id never share a history.
    /// </summary>
    public static string DataSourceKey(string? computer, string dataSourceId) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(computer is null ? "dpm-data-source:" + dataSourceId : $"dpm-data-source:{computer}\n{dataSourceId}")).AsSpan(0, 12));

    /// <summary>A new, time-ordered recovery point id.</summary>
    public static string NewId(DateTimeOffset at) =>
        $"{at.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    public static string IdOf(string objectName) => objectName[(objectName.LastIndexOf('/') + 1)..];
}
