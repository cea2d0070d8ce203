using System.Text.Json;
using Dpm.Contracts.Workloads;
using Dpm.Storage;
using Dpm.Storage.Manifests;
using Dpm.Transfer.Wire;
using Google.Protobuf;
using Grpc.Core;

namespace Dpm.Transfer;

/// <summary>
/// A data source's replica on a server, as an agent's protection engine sees it: the latest recovery point to
/// continue from, the chunks the server has for it, and new recovery points that go over the data API sending
/// only the chunks the server lacks.
/// </summary>
public sealed class RemoteReplica : IReplicaTarget
{
    private readonly ReplicaConnection _connection;
    private readonly HashSet<ChunkId> _known;
    private readonly RemoteChunks? _previousChunks;

    private RemoteReplica(ReplicaConnection connection, DataSource dataSource, TransferParameters parameters, RecoveryPointManifest? previous, Dictionary<ChunkId, int> lengths, HashSet<ChunkId> known)
    {
        _connection = connection;
        DataSource = dataSource;
        Parameters = parameters;
        Previous = previous;
        _known = known;
        _previousChunks = previous is null ? null : new RemoteChunks(connection, previous.Id, lengths, parameters.CompressOnWire);
    }

    public TransferParameters Parameters { get; }

    public DataSource DataSource { get; }

    /// <summary>The latest recovery point of the data source, which a synchronization continues from; null before the first.</summary>
    public RecoveryPointManifest? Previous { get; }

    public int ChunkMaxSize => Math.Max(Parameters.ChunkMaxSize, Parameters.FixedChunkSize);

    /// <summary>Reads the data source's state from the server.</summary>
    public static async Task<RemoteReplica> OpenAsync(ReplicaConnection connection, DataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(dataSource);
        var dataSourceId = dataSource.Id;
        var (parameters, manifestBytes, lengths, known) = await connection.CallAsync(
            $"read the state of '{dataSourceId}'",
            async options =>
            {
                using var call = connection.Client.OpenDataSource(new OpenDataSourceRequest { DataSourceId = dataSourceId }, options);
                TransferParameters? parameters = null;
                var manifest = new MemoryStream();
                var lengths = new List<uint>();
                var known = new HashSet<ChunkId>();
                await foreach (var state in call.ResponseStream.ReadAllAsync(options.CancellationToken))
                {
                    parameters ??= state.Parameters;
                    state.ManifestPiece.WriteTo(manifest);
                    lengths.AddRange(state.ChunkLengths);
                    known.UnionWith(state.KnownChunks.Select(k => ChunkId.Read(k.Span)));
                }

                return (parameters ?? throw new InvalidDataException("the server sent no transfer parameters"), manifest.ToArray(), lengths, known);
            },
            cancellationToken);

        var previous = manifestBytes.Length == 0 ? null : JsonSerializer.Deserialize<RecoveryPointManifest>(manifestBytes, RecoveryPointManifest.Json);
        var byId = new Dictionary<ChunkId, int>();
        if (previous is not null)
        {
            var i = 0;
            foreach (var id in previous.Items.SelectMany(item => item.Chunks))
            {
                if (i < lengths.Count)
                {
                    byId[id] = (int)lengths[i];
                }

                i++;
            }
        }

        return new RemoteReplica(connection, dataSource, parameters, previous, byId, known);
    }

    public bool TryGetChunkLength(ChunkId id, out int length)
    {
        length = 0;
        return _previousChunks is not null && _previousChunks.TryGetChunkLength(id, out length);
    }

    public Task<PooledChunk> LoadPooledChunkAsync(ChunkId id, CancellationToken cancellationToken) =>
        (_previousChunks ?? throw new InvalidOperationException("the data source has no recovery point to read from")).LoadPooledChunkAsync(id, cancellationToken);

    public async Task<IRecoveryPointSink> BeginRecoveryPointAsync(RecoveryPointDraft draft, CancellationToken cancellationToken) =>
        await BeginAsync(draft, jobId: null, cancellationToken);

    /// <summary>Starts a recovery point that belongs to a job the server already started (<paramref name="jobId"/>).</summary>
    public async Task<RemoteRecoveryPointWriter> BeginAsync(RecoveryPointDraft draft, string? jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var request = new BeginRequest
        {
            DataSourceId = draft.DataSourceId,
            DataSourceName = draft.DataSourceName,
            PluginId = draft.PluginId ?? "",
            Kind = draft.Kind.ToString(),
            Consistency = draft.Consistency.ToString(),
            ParentId = draft.ParentId ?? "",
            ChangeToken = draft.ChangeToken ?? "",
            CreatedAtTicks = (draft.CreatedAt ?? DateTimeOffset.UtcNow).UtcTicks,
            RepairReason = draft.RepairReason ?? "",
            JobId = jobId ?? JobId ?? "",
            DataSourceKind = DataSource.Kind,
            DataSourceLocation = DataSource.Location ?? "",
        };
        var reply = await _connection.CallAsync($"start a recovery point of '{draft.DataSourceId}'", o => _connection.Client.BeginAsync(request, o).ResponseAsync, cancellationToken);
        return new RemoteRecoveryPointWriter(_connection, reply.SessionId, draft, Parameters, _known, this);
    }

    /// <summary>The server's job new recovery points of this replica belong to, when the server started the work.</summary>
    public string? JobId { get; set; }
}

/// <summary>The chunks of one of this computer's recovery points on the server, read over the data API and checked.</summary>
public sealed class RemoteChunks(ReplicaConnection connection, string recoveryPointId, IReadOnlyDictionary<ChunkId, int> lengths, bool compress) : IChunkSource
{
    public bool TryGetChunkLength(ChunkId id, out int length) => lengths.TryGetValue(id, out length);

    public async Task<PooledChunk> LoadPooledChunkAsync(ChunkId id, CancellationToken cancellationToken)
    {
        var request = new ReadChunkRequest { RecoveryPointId = recoveryPointId, Id = ByteString.CopyFrom(id.ToBytes()), Compress = compress };
        var reply = await connection.CallAsync($"read chunk {id} of recovery point {recoveryPointId}", o => connection.Client.ReadChunkAsync(request, o).ResponseAsync, cancellationToken);
        var (got, data) = WireChunks.Unpack(reply, 64 << 20);
        if (got != id || ChunkId.Compute(data) != id)
        {
            throw new PoolDataException($"the server sent other data for chunk {id} of recovery point {recoveryPointId}");
        }

        return PooledChunk.CopyOf(data);
    }
}
