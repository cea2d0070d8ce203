using Dpm.Storage.Manifests;
using Dpm.Transfer.Wire;
using Grpc.Core;

namespace Dpm.Server.Agents;

/// <summary>
/// The agents' data API on the agents' endpoint: every call is identified by its client certificate (the
/// computer it was issued to, not removed since) and handed to <see cref="ReplicaSessions"/>, which keeps the
/// write-only rules. Refusals go back as gRPC statuses with the reason.
/// </summary>
internal sealed class ReplicaService(AgentListener listener, ReplicaSessions sessions, AgentDispatcher dispatcher) : Replica.ReplicaBase
{
    public override Task OpenDataSource(OpenDataSourceRequest request, IServerStreamWriter<DataSourceState> responseStream, ServerCallContext context) =>
        AsAgentAsync(context, computer => sessions.OpenAsync(computer, request.DataSourceId, responseStream, context.CancellationToken));

    public override Task<BeginReply> Begin(BeginRequest request, ServerCallContext context) =>
        AsAgentAsync(context, computer => sessions.BeginAsync(computer, request, context.CancellationToken));

    public override Task<FindMissingReply> FindMissing(FindMissingRequest request, ServerCallContext context) =>
        AsAgentAsync(context, computer => sessions.FindMissingAsync(computer, request, context.CancellationToken));

    public override Task<PutChunksReply> PutChunks(PutChunksRequest request, ServerCallContext context) =>
        AsAgentAsync(context, computer => sessions.PutChunksAsync(computer, request, context.CancellationToken));

    public override Task<AddItemsReply> AddItems(AddItemsRequest request, ServerCallContext context) =>
        AsAgentAsync(context, computer => sessions.AddItemsAsync(computer, request, context.CancellationToken));

    public override Task<CheckpointReply> Checkpoint(SessionRequest request, ServerCallContext context) =>
        AsAgentAsync(context, computer => sessions.CheckpointAsync(computer, request, context.CancellationToken));

    public override Task<CommitReply> Commit(SessionRequest request, ServerCallContext context) =>
        AsAgentAsync(context, computer => sessions.CommitAsync(computer, request, context.CancellationToken));

    public override Task<AbortReply> Abort(SessionRequest request, ServerCallContext context) =>
        AsAgentAsync(context, async computer =>
        {
            await sessions.AbortAsync(computer, request, context.CancellationToken);
            return new AbortReply();
        });

    public override Task<ListRecoveryPointsReply> ListRecoveryPoints(ListRecoveryPointsRequest request, ServerCallContext context) =>
        AsAgentAsync(context, computer => sessions.ListAsync(computer, request.DataSourceId, context.CancellationToken));

    public override Task ReadManifest(ReadManifestRequest request, IServerStreamWriter<ManifestPiece> responseStream, ServerCallContext context) =>
        AsAgentAsync(context, async computer =>
        {
            var manifest = await sessions.ReadManifestAsync(computer, request.RecoveryPointId, context.CancellationToken);
            var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(manifest, RecoveryPointManifest.Json);
            for (var at = 0; at < json.Length; at += 1 << 20)
            {
                await responseStream.WriteAsync(new ManifestPiece { Data = Google.Protobuf.ByteString.CopyFrom(json.AsSpan(at, Math.Min(1 << 20, json.Length - at))) }, context.CancellationToken);
            }
        });

    public override Task<ChunkData> ReadChunk(ReadChunkRequest request, ServerCallContext context) =>
        AsAgentAsync(context, computer => sessions.ReadChunkAsync(computer, request, context.CancellationToken));

    public override Task Work(WorkRequest request, IServerStreamWriter<WorkItem> responseStream, ServerCallContext context) =>
        AsAgentAsync(context, computer => dispatcher.ServeAsync(computer, responseStream, context.CancellationToken));

    public override Task<WorkReportReply> ReportWork(WorkReport request, ServerCallContext context) =>
        AsAgentAsync(context, computer =>
        {
            dispatcher.Report(computer, request);
            return Task.FromResult(new WorkReportReply());
        });

    private Task<bool> AsAgentAsync(ServerCallContext context, Func<string, Task> call) =>
        AsAgentAsync(context, async computer =>
        {
            await call(computer);
            return true;
        });

    private async Task<T> AsAgentAsync<T>(ServerCallContext context, Func<string, Task<T>> call)
    {
        var http = context.GetHttpContext();
        var (computer, problem) = await listener.IdentifyAsync(await http.Connection.GetClientCertificateAsync(context.CancellationToken), context.CancellationToken);
        if (computer is null)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, problem!));
        }

        try
        {
            return await call(computer);
        }
        catch (ReplicaRefusedException ex)
        {
            var trailers = new Metadata();
            if (ex.Status == StatusCode.NotFound)
            {
                trailers.Add("dpm-session-lost", "1");
            }

            throw new RpcException(new Status(ex.Status, ex.Message), trailers);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Dpm.Storage.PoolDataException or InvalidOperationException)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"the server could not do it: {ex.Message}"));
        }
    }
}
