using System.Runtime.CompilerServices;
using Dpm.Contracts.Workloads;

namespace Dpm.Workloads.Sql.Tests.Support;

/// <summary>A recovery point of one file held in memory, for data no synchronization would produce (a damaged database).</summary>
public sealed class MemoryRecoverySource(DataSource dataSource, string path, byte[] data) : IRecoverySource
{
    private readonly ProtectedItem _item = new() { Path = path, Kind = ProtectedItemKind.File, Length = data.Length };

    public DataSource DataSource => dataSource;

    public RecoveryPointInfo RecoveryPoint { get; } = new("in-memory", DateTimeOffset.UtcNow, RecoveryPointKind.ExpressFull, SnapshotConsistency.ApplicationConsistent);

    public IReadOnlyList<RecoveryPointInfo> Chain => [];

    public async IAsyncEnumerable<ProtectedItem> EnumerateItemsAsync(string pathPrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        if (_item.Path.StartsWith(pathPrefix, StringComparison.Ordinal))
        {
            yield return _item;
        }
    }

    public ValueTask<ProtectedItem?> GetItemAsync(string path, CancellationToken cancellationToken) => ValueTask.FromResult(path == _item.Path ? _item : null);

    public ValueTask<Stream?> OpenItemAsync(string path, CancellationToken cancellationToken) =>
        ValueTask.FromResult<Stream?>(path == _item.Path ? new MemoryStream(data, writable: false) : null);
}
