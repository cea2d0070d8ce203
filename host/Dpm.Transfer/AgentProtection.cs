using System.Text.Json;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Protection;
using Dpm.Storage;
using Dpm.Storage.Manifests;
using Dpm.Transfer.Wire;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Dpm.Transfer;

/// <summary>
/// What an agent does with its server over the data API: synchronizations and consistency checks (the
/// protection engine writing into a <see cref="RemoteReplica"/>), and recovery points read back for recovery.
/// The server's in-process agent does the same through the same calls.
/// </summary>
public static partial class AgentProtection
{
    /// <summary>How many times a synchronization whose session the server lost (it restarted) is run again.</summary>
    private const int Runs = 3;

    public static Task<SynchronizationResult> SynchronizeAsync(
        ReplicaConnection connection, IWorkloadPlugin plugin, SynchronizationRequest request, string? jobId, IProgress<ProgressReport>? progress, ILoggerFactory logging, CancellationToken cancellationToken) =>
        RunAsync(connection, request, jobId, logging, (engine, r) => engine.SynchronizeAsync(plugin, r, progress, cancellationToken), cancellationToken);

    public static Task<ConsistencyCheckOutcome> CheckConsistencyAsync(
        ReplicaConnection connection, IWorkloadPlugin plugin, SynchronizationRequest request, ConsistencyCheckLevel level, string? jobId, IProgress<ProgressReport>? progress, ILoggerFactory logging, CancellationToken cancellationToken) =>
        RunAsync(connection, request, jobId, logging, (engine, r) => engine.CheckConsistencyAsync(plugin, r, level, progress, cancellationToken), cancellationToken);

    /// <summary>
    /// Runs work against the data source's replica as the server has it now; when the server lost the session
    /// (it restarted during the transfer) the work runs again from the top, and only chunks the server didn't
    /// make durable are sent again.
    /// </summary>
    private static async Task<T> RunAsync<T>(
        ReplicaConnection connection, SynchronizationRequest request, string? jobId, ILoggerFactory logging, Func<ProtectionEngine, SynchronizationRequest, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(logging);
        var logger = logging.CreateLogger(typeof(AgentProtection));
        for (var run = 1; ; run++)
        {
            var replica = await RemoteReplica.OpenAsync(connection, request.DataSource, cancellationToken);
            replica.JobId = jobId;
            try
            {
                return await work(new ProtectionEngine(replica, logging.CreateLogger<ProtectionEngine>()), request with { Previous = replica.Previous, Computer = replica.Parameters.Computer });
            }
            catch (ReplicaSessionLostException ex) when (run < Runs)
            {
                RunningAgain(logger, request.DataSource.Id, ex.Message, run + 1);
            }
        }
    }

    /// <summary>This computer's recovery points on the server (of one data source, or all), oldest first.</summary>
    public static async Task<IReadOnlyList<RecoveryPointEntry>> ListRecoveryPointsAsync(ReplicaConnection connection, string? dataSourceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var reply = await connection.CallAsync(
            "list this computer's recovery points",
            o => connection.Client.ListRecoveryPointsAsync(new ListRecoveryPointsRequest { DataSourceId = dataSourceId ?? "" }, o).ResponseAsync,
            cancellationToken);
        return reply.Points;
    }

    /// <summary>One of this computer's recovery points, for browsing and recovery: its chunks come from the server as they are read.</summary>
    public static async Task<RecoveryPointReader> OpenRecoveryPointAsync(ReplicaConnection connection, string recoveryPointId, bool compress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var bytes = await connection.CallAsync(
            $"read recovery point {recoveryPointId}",
            async options =>
            {
                using var call = connection.Client.ReadManifest(new ReadManifestRequest { RecoveryPointId = recoveryPointId }, options);
                var buffer = new MemoryStream();
                await foreach (var piece in call.ResponseStream.ReadAllAsync(options.CancellationToken))
                {
                    piece.Data.WriteTo(buffer);
                }

                return buffer.ToArray();
            },
            cancellationToken);
        var manifest = JsonSerializer.Deserialize<RecoveryPointManifest>(bytes, RecoveryPointManifest.Json)
            ?? throw new InvalidDataException($"the server sent an empty recovery point {recoveryPointId}");
        return new RecoveryPointReader(new RemoteChunks(connection, manifest.Id, new Dictionary<ChunkId, int>(), compress), manifest);
    }

    [LoggerMessage(EventId = 71, Level = LogLevel.Warning, Message = "'{DataSource}': {Problem}; running the synchronization again (run {Run}), sending only what the server doesn't have yet")]
    private static partial void RunningAgain(ILogger logger, string dataSource, string problem, int run);
}
