using System.Runtime.CompilerServices;
using Dpm.Contracts.Workloads;
using Dpm.Storage;
using Dpm.Storage.Manifests;

namespace Dpm.Protection;

/// <summary>The replica (a recovery point) as a recovery source, for a workload's own consistency checks.</summary>
internal sealed class ReplicaSource(StoragePool pool, RecoveryPointManifest manifest) : IRecoverySource
{
    private readonly Lazy<Task<RecoveryPointReader?>> _reader = new(() => pool.OpenRecoveryPointAsync(manifest.Id, CancellationToken.None));

    public DataSource DataSource { get; } = new() { Id = manifest.DataSourceId, Name = manifest.DataSourceName, Kind = "Replica" };

    public RecoveryPointInfo RecoveryPoint => manifest.ToInfo();

    public IReadOnlyList<RecoveryPointInfo> Chain => [];

    public async IAsyncEnumerable<ProtectedItem> EnumerateItemsAsync(string pathPrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        foreach (var item in manifest.Items.Where(i => i.Item.Path.StartsWith(pathPrefix, StringComparison.Ordinal)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return item.Item;
        }
    }

    public ValueTask<ProtectedItem?> GetItemAsync(string path, CancellationToken cancellationToken) =>
        ValueTask.FromResult(manifest.Items.FirstOrDefault(i => i.Item.Path == path)?.Item);

    public async ValueTask<Stream?> OpenItemAsync(string path, CancellationToken cancellationToken) =>
        await (await _reader.Value ?? throw new PoolDataException($"recovery point '{manifest.Id}' vanished")).OpenItemAsync(path, cancellationToken);
}
