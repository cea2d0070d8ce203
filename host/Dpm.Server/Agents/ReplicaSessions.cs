using System.Collections.Concurrent;
using System.Text.Json;
using Dpm.Catalog;
using Dpm.Contracts;
using Dpm.Contracts.Workloads;
using Dpm.Core.Hosting;
using Dpm.Core.Licensing;
using Dpm.Core.Plugins;
using Dpm.Server.Protection;
using Dpm.Storage;
using Dpm.Storage.Manifests;
using Dpm.Transfer;
using Dpm.Transfer.Wire;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dpm.Server.Agents;

/// <summary>A call of the data API refused, with the status and the reason the agent is told.</summary>
internal sealed class ReplicaRefusedException(StatusCode status, string message) : Exception(message)
{
    public StatusCode Status => status;
}

/// <summary>One recovery point an agent is writing.</summary>
internal sealed class ReplicaSession
{
    public required Guid Id { get; init; }

    public required CatalogedDataSource Source { get; init; }

    public required RecoveryPointDraft Draft { get; init; }

    public required RecoveryPointWriter Writer { get; init; }

    /// <summary>The chunks this agent may use in its items: its latest point's, those a cut-off synchronization made durable, and those it sent.</summary>
    public required HashSet<ChunkId> Usable { get; init; }

    /// <summary>Chunks received since the last checkpoint.</summary>
    public List<ChunkId> Unjournaled { get; } = [];

    public SemaphoreSlim Gate { get; } = new(1, 1);

    public RunningJob? OwnJob { get; init; }

    public DateTimeOffset LastUsed { get; set; }

    public ulong Sequence { get; set; }

    public long BytesReceived { get; set; }

    public CommitReply? Committed { get; set; }
}

/// <summary>
/// The server's side of the agents' data API: the recovery points agents are writing (sessions), the chunks
/// they may use, what a cut-off synchronization already made durable, and the write-only rules: an agent
/// reaches its own computer's data sources and recovery points only, and can't delete or change anything.
/// </summary>
internal sealed partial class ReplicaSessions(
    PoolHost pools,
    CatalogHost catalog,
    RunningJobs jobs,
    RecoveryPointBook book,
    LicenceService licences,
    PluginManager plugins,
    IOptions<DpmHostOptions> host,
    IOptions<AgentOptions> options,
    TimeProvider time,
    ILogger<ReplicaSessions> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, (string Computer, ReplicaSession Session)> _sessions = new();
    private readonly ConcurrentDictionary<string, HashSet<ChunkId>> _pointChunks = new(StringComparer.Ordinal);

    private StoragePool Pool => pools.Pool ?? throw new ReplicaRefusedException(StatusCode.Unavailable, pools.Problem ?? "the storage pool is not open");

    private string JournalFolder => Path.Combine(host.Value.DataDirectory, "agents", "resume");

    public async Task OpenAsync(string computer, string dataSourceId, IServerStreamWriter<DataSourceState> output, CancellationToken cancellationToken)
    {
        RequireId(dataSourceId);
        var pool = Pool;
        var latest = await pool.ReadLatestManifestAsync(computer, dataSourceId, cancellationToken);
        await using var context = catalog.Open();
        var computerRow = await context.Computers.AsNoTracking().SingleOrDefaultAsync(c => c.Name == computer, cancellationToken);
        var compress = await context.ProtectionGroups.AsNoTracking()
            .Where(g => g.Members.Any(m => m.ComputerName == computer && m.Id == dataSourceId))
            .Select(g => g.Policy.CompressOnTheWire)
            .FirstOrDefaultAsync(cancellationToken);
        var parameters = new TransferParameters
        {
            Computer = computer,
            ChunkMinSize = pool.Config.ChunkMinSize,
            ChunkAverageSize = pool.Config.ChunkAverageSize,
            ChunkMaxSize = pool.Config.ChunkMaxSize,
            FixedChunkSize = pool.Config.FixedChunkSize,
            CompressOnWire = compress,
            CheckpointBytes = (long)options.Value.CheckpointMegabytes << 20,
            Throttle = computerRow is null ? null : new Throttle
            {
                WorkHoursRate = computerRow.ThrottleWorkHoursRate,
                NonWorkHoursRate = computerRow.ThrottleNonWorkHoursRate,
                WorkDays = computerRow.WorkDays,
                WorkStartMinute = computerRow.WorkStartMinute,
                WorkEndMinute = computerRow.WorkEndMinute,
                UtcOffsetMinutes = (int)time.LocalTimeZone.GetUtcOffset(time.GetUtcNow()).TotalMinutes,
            },
        };
        await output.WriteAsync(new DataSourceState { Parameters = parameters }, cancellationToken);
        if (latest is not null)
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(latest, RecoveryPointManifest.Json);
            for (var at = 0; at < json.Length; at += 1 << 20)
            {
                await output.WriteAsync(new DataSourceState { ManifestPiece = Google.Protobuf.ByteString.CopyFrom(json.AsSpan(at, Math.Min(1 << 20, json.Length - at))) }, cancellationToken);
            }

            var lengths = new DataSourceState();
            foreach (var id in latest.Items.SelectMany(i => i.Chunks))
            {
                lengths.ChunkLengths.Add(pool.TryGetChunkLength(id, out var length) ? (uint)length : 0);
                if (lengths.ChunkLengths.Count == 100_000)
                {
                    await output.WriteAsync(lengths, cancellationToken);
                    lengths = new DataSourceState();
                }
            }

            await output.WriteAsync(lengths, cancellationToken);
        }

        var known = new DataSourceState();
        foreach (var id in await UsableAsync(computer, dataSourceId, latest, cancellationToken))
        {
            known.KnownChunks.Add(Google.Protobuf.ByteString.CopyFrom(id.ToBytes()));
            if (known.KnownChunks.Count == 20_000)
            {
                await output.WriteAsync(known, cancellationToken);
                known = new DataSourceState();
            }
        }

        await output.WriteAsync(known, cancellationToken);
    }

    public async Task<BeginReply> BeginAsync(string computer, BeginRequest request, CancellationToken cancellationToken)
    {
        RequireId(request.DataSourceId);
        var pool = Pool;
        if (!Enum.TryParse<RecoveryPointKind>(request.Kind, out var kind) || !Enum.TryParse<SnapshotConsistency>(request.Consistency, out var consistency))
        {
            throw new ReplicaRefusedException(StatusCode.InvalidArgument, $"'{request.Kind}' / '{request.Consistency}' is not a recovery point kind and consistency");
        }

        var latest = await pool.ReadLatestManifestAsync(computer, request.DataSourceId, cancellationToken);
        if ((latest?.Id ?? "") != request.ParentId)
        {
            throw new ReplicaRefusedException(
                StatusCode.FailedPrecondition,
                request.ParentId.Length == 0 || latest is not null
                    ? $"'{request.DataSourceId}' of {computer} has recovery point {latest?.Id ?? "(none)"} as its latest, not {(request.ParentId.Length == 0 ? "none" : request.ParentId)}: synchronize again from the latest"
                    : $"recovery point {request.ParentId} is not one of {computer}'s");
        }

        var workload = plugins.GetActive(PluginKind.Workload).FirstOrDefault(m => m.Id == request.PluginId)
            ?? throw new ReplicaRefusedException(StatusCode.FailedPrecondition, $"this server has no active workload plugin '{request.PluginId}' (its licence tier decides whether the data source may be protected)");
        var grant = licences.Consume(computer, workload.RequiredTier);
        if (!grant.Granted)
        {
            throw new ReplicaRefusedException(StatusCode.PermissionDenied, grant.Message);
        }

        var source = new CatalogedDataSource(computer, request.DataSourceId, request.PluginId, request.DataSourceName.Length > 0 ? request.DataSourceName : request.DataSourceId,
            request.DataSourceKind.Length > 0 ? request.DataSourceKind : "Folder", request.DataSourceLocation.Length > 0 ? request.DataSourceLocation : null);
        var draft = new RecoveryPointDraft
        {
            DataSourceId = request.DataSourceId,
            DataSourceName = source.Name,
            PluginId = request.PluginId,
            Computer = computer,
            Kind = kind,
            Consistency = consistency,
            ParentId = latest?.Id,
            ChangeToken = request.ChangeToken.Length > 0 ? request.ChangeToken : null,
            CreatedAt = request.CreatedAtTicks > 0 ? new DateTimeOffset(request.CreatedAtTicks, TimeSpan.Zero) : null,
            RepairReason = request.RepairReason.Length > 0 ? request.RepairReason : null,
        };

        // One synchronization of a data source at a time: an agent that starts again drops what it left behind.
        foreach (var (id, (owner, old)) in _sessions)
        {
            if (owner == computer && old.Source.Id == request.DataSourceId && old.Committed is null)
            {
                await EndAsync(id, JobState.Failed, "a new synchronization of the data source started", cancellationToken);
            }
        }

        var usable = await UsableAsync(computer, request.DataSourceId, latest, cancellationToken);
        var ownJob = request.JobId.Length == 0 ? await jobs.StartAsync(latest is null ? JobType.ReplicaCreation : JobType.ExpressFull, request.DataSourceId, CancellationToken.None) : null;
        RecoveryPointWriter writer;
        try
        {
            writer = await pool.BeginRecoveryPointAsync(draft, cancellationToken);
        }
        catch
        {
            if (ownJob is not null)
            {
                await ownJob.EndAsync(JobState.Failed, 0, 0, "the storage pool could not start the recovery point");
                ownJob.Dispose();
            }

            throw;
        }

        var session = new ReplicaSession { Id = Guid.NewGuid(), Source = source, Draft = draft, Writer = writer, Usable = usable, OwnJob = ownJob, LastUsed = time.GetUtcNow() };
        _sessions[session.Id] = (computer, session);
        SessionStarted(logger, computer, request.DataSourceId, session.Id);
        return new BeginReply { SessionId = session.Id.ToString() };
    }

    public Task<FindMissingReply> FindMissingAsync(string computer, FindMissingRequest request, CancellationToken cancellationToken) =>
        InSessionAsync(computer, request.SessionId, session =>
        {
            var reply = new FindMissingReply();
            for (var i = 0; i < request.Ids.Count; i++)
            {
                var id = ReadId(request.Ids[i]);
                if (!session.Usable.Contains(id) || !session.Writer.Contains(id))
                {
                    reply.Missing.Add((uint)i);
                }
            }

            return Task.FromResult(reply);
        }, cancellationToken);

    public Task<PutChunksReply> PutChunksAsync(string computer, PutChunksRequest request, CancellationToken cancellationToken) =>
        InSessionAsync(computer, request.SessionId, async session =>
        {
            var max = Math.Max(Pool.Config.ChunkMaxSize, Pool.Config.FixedChunkSize);
            uint stored = 0;
            foreach (var chunk in request.Chunks)
            {
                (ChunkId Id, byte[] Data) unpacked;
                try
                {
                    unpacked = WireChunks.Unpack(chunk, max);
                    stored += await session.Writer.StoreChunkAsync(unpacked.Id, unpacked.Data, cancellationToken) ? 1u : 0u;
                }
                catch (InvalidDataException ex)
                {
                    throw new ReplicaRefusedException(StatusCode.InvalidArgument, ex.Message);
                }

                if (session.Usable.Add(unpacked.Id))
                {
                    session.Unjournaled.Add(unpacked.Id);
                }

                session.BytesReceived += chunk.Data.Length;
            }

            session.OwnJob?.Report(new ProgressReport(session.BytesReceived, ItemsDone: session.Writer.Stats.Items, CurrentItem: null));
            return new PutChunksReply { Stored = stored };
        }, cancellationToken);

    public Task<AddItemsReply> AddItemsAsync(string computer, AddItemsRequest request, CancellationToken cancellationToken) =>
        InSessionAsync(computer, request.SessionId, session =>
        {
            if (request.Sequence <= session.Sequence)
            {
                return Task.FromResult(new AddItemsReply()); // sent again after a dropped connection: applied already
            }

            List<ManifestItem> items;
            try
            {
                items = JsonSerializer.Deserialize<List<ManifestItem>>(request.ItemsJson.Span, RecoveryPointManifest.Json) ?? [];
            }
            catch (JsonException ex)
            {
                throw new ReplicaRefusedException(StatusCode.InvalidArgument, $"the items can't be read: {ex.Message}");
            }

            foreach (var item in items)
            {
                foreach (var chunk in item.Chunks)
                {
                    if (!session.Usable.Contains(chunk))
                    {
                        throw new ReplicaRefusedException(
                            StatusCode.PermissionDenied,
                            $"item '{item.Item.Path}' uses chunk {chunk}, which this agent neither sent nor has in its own latest recovery point of '{session.Source.Id}'");
                    }

                    if (!session.Writer.Contains(chunk))
                    {
                        throw new ReplicaRefusedException(StatusCode.FailedPrecondition, $"item '{item.Item.Path}' uses chunk {chunk}, which is no longer in the storage pool: run a consistency check");
                    }
                }
            }

            foreach (var item in items)
            {
                session.Writer.Add(item.Item, item.Chunks);
            }

            session.Writer.AddBytesRead(request.BytesRead);
            session.Sequence = request.Sequence;
            return Task.FromResult(new AddItemsReply());
        }, cancellationToken);

    public Task<CheckpointReply> CheckpointAsync(string computer, SessionRequest request, CancellationToken cancellationToken) =>
        InSessionAsync(computer, request.SessionId, async session =>
        {
            await session.Writer.CheckpointAsync(cancellationToken);
            if (session.Unjournaled.Count > 0)
            {
                Directory.CreateDirectory(JournalFolder);
                await using (var journal = new FileStream(JournalOf(computer, session.Source.Id), FileMode.Append, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
                {
                    foreach (var id in session.Unjournaled)
                    {
                        await journal.WriteAsync(id.ToBytes(), cancellationToken);
                    }
                }

                session.Unjournaled.Clear();
            }

            return new CheckpointReply { ChunksDurable = (ulong)session.Usable.Count };
        }, cancellationToken);

    public async Task<CommitReply> CommitAsync(string computer, SessionRequest request, CancellationToken cancellationToken)
    {
        var reply = await InSessionAsync(computer, request.SessionId, async session =>
        {
            if (session.Committed is { } done)
            {
                return done; // the reply was lost on the way: the same answer again
            }

            var manifest = await session.Writer.CommitAsync(cancellationToken);
            await book.RecordAsync(session.Source, manifest, session.Draft.RepairReason, CancellationToken.None);
            if (File.Exists(JournalOf(computer, session.Source.Id)))
            {
                File.Delete(JournalOf(computer, session.Source.Id)); // what it listed is in the recovery point now
            }

            session.Committed = new CommitReply
            {
                RecoveryPointId = manifest.Id,
                CreatedAtTicks = manifest.CreatedAt.UtcTicks,
                NewChunks = manifest.Stats.NewChunks,
                NewBytes = manifest.Stats.NewBytes,
                StoredBytes = manifest.Stats.StoredBytes,
            };
            if (session.OwnJob is { } job)
            {
                await job.EndAsync(JobState.Succeeded, manifest.Stats.BytesRead, manifest.Stats.Items, null);
                job.Dispose();
            }

            SessionCommitted(logger, computer, session.Source.Id, manifest.Id, session.BytesReceived);
            return session.Committed;
        }, cancellationToken);
        return reply;
    }

    public async Task AbortAsync(string computer, SessionRequest request, CancellationToken cancellationToken)
    {
        var id = ParseSession(request.SessionId);
        if (_sessions.TryGetValue(id, out var entry) && entry.Computer == computer && entry.Session.Committed is null)
        {
            await EndAsync(id, JobState.Failed, "the agent abandoned it", cancellationToken);
        }
    }

    /// <summary>This computer's recovery points, from the catalog (another computer's are not there to see).</summary>
    public async Task<ListRecoveryPointsReply> ListAsync(string computer, string dataSourceId, CancellationToken cancellationToken)
    {
        await using var context = catalog.Open();
        var rows = await context.RecoveryPoints.AsNoTracking()
            .Where(p => p.ComputerName == computer && (dataSourceId == "" || p.DataSourceId == dataSourceId))
            .Join(context.DataSources, p => new { p.ComputerName, Id = p.DataSourceId }, d => new { d.ComputerName, d.Id }, (p, d) => new { p.Id, p.DataSourceId, d.Name, p.CreatedAt, p.Kind })
            .ToListAsync(cancellationToken);
        var reply = new ListRecoveryPointsReply();
        reply.Points.AddRange(rows.OrderBy(r => r.CreatedAt).Select(r => new RecoveryPointEntry
        {
            Id = r.Id, DataSourceId = r.DataSourceId, DataSourceName = r.Name, CreatedAtUnixMs = r.CreatedAt.ToUnixTimeMilliseconds(), Kind = r.Kind,
        }));
        return reply;
    }

    /// <summary>One of this computer's recovery points; another computer's is refused as if it didn't exist.</summary>
    public async Task<RecoveryPointManifest> ReadManifestAsync(string computer, string recoveryPointId, CancellationToken cancellationToken)
    {
        RequireId(recoveryPointId);
        RecoveryPointManifest? manifest;
        try
        {
            manifest = await Pool.ReadManifestAsync(recoveryPointId, cancellationToken);
        }
        catch (PoolDataException ex)
        {
            throw new ReplicaRefusedException(StatusCode.DataLoss, ex.Message);
        }

        return manifest is not null && manifest.Computer == computer
            ? manifest
            : throw new ReplicaRefusedException(StatusCode.PermissionDenied, $"recovery point '{recoveryPointId}' is not one of {computer}'s");
    }

    public async Task<ChunkData> ReadChunkAsync(string computer, ReadChunkRequest request, CancellationToken cancellationToken)
    {
        var id = ReadId(request.Id);
        if (!_pointChunks.TryGetValue(computer + "\n" + request.RecoveryPointId, out var chunks))
        {
            var manifest = await ReadManifestAsync(computer, request.RecoveryPointId, cancellationToken);
            chunks = [.. manifest.Items.SelectMany(i => i.Chunks)];
            if (_pointChunks.Count > 64)
            {
                _pointChunks.Clear();
            }

            _pointChunks[computer + "\n" + request.RecoveryPointId] = chunks;
        }

        if (!chunks.Contains(id))
        {
            throw new ReplicaRefusedException(StatusCode.PermissionDenied, $"chunk {id} is not in recovery point '{request.RecoveryPointId}'");
        }

        try
        {
            using var chunk = await Pool.LoadPooledChunkAsync(id, cancellationToken);
            return WireChunks.Pack(id, chunk.Span, request.Compress);
        }
        catch (PoolDataException ex)
        {
            throw new ReplicaRefusedException(StatusCode.DataLoss, ex.Message);
        }
    }

    /// <summary>Drops the sessions nobody has used for a while: their agents stopped, or lost the connection for good.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var idle = TimeSpan.FromMinutes(options.Value.SessionIdleMinutes);
                foreach (var (id, (computer, session)) in _sessions)
                {
                    if (time.GetUtcNow() - session.LastUsed > idle)
                    {
                        SessionExpired(logger, computer, session.Source.Id, id, idle.TotalMinutes);
                        await EndAsync(id, JobState.Failed, $"the agent of {computer} sent nothing for {idle.TotalMinutes:0} minutes", stoppingToken);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var id in _sessions.Keys)
        {
            await EndAsync(id, JobState.Failed, "the server stopped", CancellationToken.None);
        }
    }

    private async Task EndAsync(Guid id, JobState state, string reason, CancellationToken cancellationToken)
    {
        if (!_sessions.TryRemove(id, out var entry))
        {
            return;
        }

        var session = entry.Session;
        await session.Gate.WaitAsync(cancellationToken);
        try
        {
            await session.Writer.DisposeAsync();
            if (session.OwnJob is { } job && session.Committed is null)
            {
                await job.EndAsync(state, session.BytesReceived, session.Writer.Stats.Items, reason);
                job.Dispose();
            }
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>Runs a call in its session, one at a time; a session the server doesn't have is reported as lost.</summary>
    private async Task<T> InSessionAsync<T>(string computer, string sessionId, Func<ReplicaSession, Task<T>> call, CancellationToken cancellationToken)
    {
        var id = ParseSession(sessionId);
        if (!_sessions.TryGetValue(id, out var entry))
        {
            throw new ReplicaRefusedException(StatusCode.NotFound, $"there is no session {sessionId} on this server (it restarted, or dropped the session after it was left unused)");
        }

        if (entry.Computer != computer)
        {
            throw new ReplicaRefusedException(StatusCode.PermissionDenied, $"session {sessionId} is not {computer}'s");
        }

        var session = entry.Session;
        await session.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!_sessions.ContainsKey(id))
            {
                throw new ReplicaRefusedException(StatusCode.NotFound, $"session {sessionId} ended while this call waited");
            }

            session.LastUsed = time.GetUtcNow();
            if (session.OwnJob is { CancelRequested: true } job)
            {
                _ = Task.Run(() => EndAsync(id, JobState.Cancelled, job.CancelReason, CancellationToken.None), CancellationToken.None);
                throw new ReplicaRefusedException(StatusCode.Aborted, $"job {job.Id} was {job.CancelReason}; no recovery point was made");
            }

            return await call(session);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>The chunks an agent may use without sending them: its latest point's and those a cut-off synchronization made durable, if the pool still has them.</summary>
    private async Task<HashSet<ChunkId>> UsableAsync(string computer, string dataSourceId, RecoveryPointManifest? latest, CancellationToken cancellationToken)
    {
        var pool = Pool;
        var usable = new HashSet<ChunkId>();
        if (latest is not null)
        {
            usable.UnionWith(latest.Items.SelectMany(i => i.Chunks).Where(c => pool.Index.TryGet(c, out _)));
        }

        var journal = JournalOf(computer, dataSourceId);
        if (File.Exists(journal))
        {
            var bytes = await File.ReadAllBytesAsync(journal, cancellationToken);
            for (var at = 0; at + ChunkId.Size <= bytes.Length; at += ChunkId.Size)
            {
                var id = ChunkId.Read(bytes.AsSpan(at, ChunkId.Size));
                if (pool.Index.TryGet(id, out _))
                {
                    usable.Add(id);
                }
            }
        }

        return usable;
    }

    private string JournalOf(string computer, string dataSourceId) => Path.Combine(JournalFolder, RecoveryPointManifest.DataSourceKey(computer, dataSourceId));

    private static Guid ParseSession(string sessionId) =>
        Guid.TryParse(sessionId, out var id) ? id : throw new ReplicaRefusedException(StatusCode.InvalidArgument, $"'{sessionId}' is not a session id");

    private static ChunkId ReadId(Google.Protobuf.ByteString bytes) =>
        bytes.Length == ChunkId.Size ? ChunkId.Read(bytes.Span) : throw new ReplicaRefusedException(StatusCode.InvalidArgument, $"a chunk id is {ChunkId.Size} bytes, not {bytes.Length}");

    private static void RequireId(string id)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > 1024)
        {
            throw new ReplicaRefusedException(StatusCode.InvalidArgument, "say which data source or recovery point (an id of at most 1024 characters)");
        }
    }

    [LoggerMessage(EventId = 61, Level = LogLevel.Information, Message = "{Computer}: synchronization of '{DataSource}' started (session {Session})")]
    private static partial void SessionStarted(ILogger logger, string computer, string dataSource, Guid session);

    [LoggerMessage(EventId = 62, Level = LogLevel.Information, Message = "{Computer}: recovery point {RecoveryPoint} of '{DataSource}' committed; {Bytes} bytes of chunks came over the wire")]
    private static partial void SessionCommitted(ILogger logger, string computer, string dataSource, string recoveryPoint, long bytes);

    [LoggerMessage(EventId = 63, Level = LogLevel.Warning, Message = "{Computer}: the synchronization of '{DataSource}' (session {Session}) was left unused for {Minutes:0} minutes; dropped")]
    private static partial void SessionExpired(ILogger logger, string computer, string dataSource, Guid session, double minutes);
}
