using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Dpm.Contracts.Workloads;
using Dpm.Management;
using Dpm.Storage.Manifests;
using Dpm.Tests;
using Dpm.Transfer;
using Dpm.Transfer.Wire;
using Google.Protobuf;

namespace Dpm.Agent.Tests;

/// <summary>
/// Write-only clients: an agent adds recovery points of its own data sources and reads its own back, and every
/// other call is refused with the reason, on the agent's side: reading or listing another computer's data,
/// using chunks it neither sent nor owns, another agent's session, a parent that isn't its latest point, data
/// that isn't the chunk it claims, and anything that deletes, prunes or changes a policy.
/// </summary>
public sealed class WriteOnlyTests(WriteOnlyTests.TwoComputers computers) : IClassFixture<WriteOnlyTests.TwoComputers>
{
    private readonly AgentFixture _agents = computers.Agents;
    private readonly string _root = computers.Root;
    private readonly RunningServer _server = computers.Server;
    private readonly string _theirPoint = computers.TheirPoint;
    private readonly string _myPoint = computers.MyPoint;
    private readonly RecoveryPointManifest _theirs = computers.Theirs;

    /// <summary>One server, and two attached agents with a recovery point each: hr1 (the one that tries) and finance1.</summary>
    public sealed class TwoComputers : IAsyncLifetime
    {
        public string Root { get; } = Directory.CreateTempSubdirectory("dpm-write-only-").FullName;

        public AgentFixture Agents { get; private set; } = null!;

        public RunningServer Server { get; private set; } = null!;

        public string TheirPoint { get; private set; } = "";

        public string MyPoint { get; private set; } = "";

        public RecoveryPointManifest Theirs { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Agents = new AgentFixture(Root);
            Server = await RunningServer.StartAsync([RunningServer.Unscheduled], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
            var client = new DpmManagementClient(new HttpClient { BaseAddress = new Uri(Server.Url) });
            await Agents.AttachAsync(client, "hr1");
            await Agents.AttachAsync(client, "finance1");
            var payroll = AgentFixture.RandomFolder(Path.Combine(Root, "payroll"), files: 2, bytesEach: 512 << 10, seed: 7);
            var notes = AgentFixture.RandomFolder(Path.Combine(Root, "notes"), files: 1, bytesEach: 64 << 10, seed: 8);
            TheirPoint = (await Agents.SynchronizeAsync("finance1", payroll)).GetProperty("recoveryPointId").GetString()!;
            MyPoint = (await Agents.SynchronizeAsync("hr1", notes)).GetProperty("recoveryPointId").GetString()!;
            using var finance = Agents.Connect("finance1");
            Theirs = (await AgentProtection.OpenRecoveryPointAsync(finance, TheirPoint, compress: false, CancellationToken.None)).Manifest;
        }

        public async Task DisposeAsync()
        {
            await Server.DisposeAsync();
            Directory.Delete(Root, recursive: true);
        }
    }

    private static async Task<string> RefusedAsync(Func<Task> call)
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(call);
        return refused.Message;
    }

    [Fact]
    public async Task ReadingAnotherComputersRecoveryPoint_Refused()
    {
        using var hr = _agents.Connect("hr1");

        var message = await RefusedAsync(() => AgentProtection.OpenRecoveryPointAsync(hr, _theirPoint, compress: false, CancellationToken.None));

        Assert.Contains($"recovery point '{_theirPoint}' is not one of hr1's", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadingAnotherComputersChunk_Refused_ThroughItsPoint_AndThroughOwnPoint()
    {
        using var hr = _agents.Connect("hr1");
        var theirChunk = ByteString.CopyFrom(_theirs.Items.First(i => i.Chunks.Count > 0).Chunks[0].ToBytes());

        var viaTheirs = await RefusedAsync(() => hr.CallAsync("read", o => hr.Client.ReadChunkAsync(new ReadChunkRequest { RecoveryPointId = _theirPoint, Id = theirChunk }, o).ResponseAsync, CancellationToken.None));
        var viaMine = await RefusedAsync(() => hr.CallAsync("read", o => hr.Client.ReadChunkAsync(new ReadChunkRequest { RecoveryPointId = _myPoint, Id = theirChunk }, o).ResponseAsync, CancellationToken.None));

        Assert.Contains("is not one of hr1's", viaTheirs, StringComparison.Ordinal);
        Assert.Contains($"is not in recovery point '{_myPoint}'", viaMine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListingShowsOnlyOwnRecoveryPoints_EvenWhenAskingForAnotherComputersDataSource()
    {
        using var hr = _agents.Connect("hr1");

        var all = await AgentProtection.ListRecoveryPointsAsync(hr, null, CancellationToken.None);
        var theirDataSource = await AgentProtection.ListRecoveryPointsAsync(hr, _theirs.DataSourceId, CancellationToken.None);

        Assert.Equal([_myPoint], all.Select(p => p.Id));
        Assert.Empty(theirDataSource);
    }

    [Fact]
    public async Task ARecoveryPointUsingChunksTheAgentNeitherSentNorOwns_Refused()
    {
        using var hr = _agents.Connect("hr1");
        var session = await BeginAsync(hr, "folder:/stolen", parentId: "");
        var stolen = _theirs.Items.First(i => i.Chunks.Count > 0);
        var items = JsonSerializer.SerializeToUtf8Bytes(new List<ManifestItem> { stolen }, RecoveryPointManifest.Json);

        var message = await RefusedAsync(() => hr.CallAsync("add", o => hr.Client.AddItemsAsync(new AddItemsRequest { SessionId = session, ItemsJson = ByteString.CopyFrom(items), Sequence = 1 }, o).ResponseAsync, CancellationToken.None));

        Assert.Contains($"item '{stolen.Item.Path}' uses chunk", message, StringComparison.Ordinal);
        Assert.Contains("which this agent neither sent nor has in its own latest recovery point", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AChunkWhoseDataIsNotWhatItsIdSays_Refused()
    {
        using var hr = _agents.Connect("hr1");
        var session = await BeginAsync(hr, "folder:/forged", parentId: "");
        var claimed = _theirs.Items.First(i => i.Chunks.Count > 0).Chunks[0];
        var put = new PutChunksRequest { SessionId = session };
        put.Chunks.Add(new ChunkData { Id = ByteString.CopyFrom(claimed.ToBytes()), Data = ByteString.CopyFromUtf8("not their data") });

        var message = await RefusedAsync(() => hr.CallAsync("put", o => hr.Client.PutChunksAsync(put, o).ResponseAsync, CancellationToken.None));

        Assert.Contains($"the data sent as chunk {claimed} is not that chunk", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherAgentsSession_Refused()
    {
        using var finance = _agents.Connect("finance1");
        using var hr = _agents.Connect("hr1");
        var theirSession = await BeginAsync(finance, "folder:/finance-only", parentId: "");

        var message = await RefusedAsync(() => hr.CallAsync("commit", o => hr.Client.CommitAsync(new SessionRequest { SessionId = theirSession }, o).ResponseAsync, CancellationToken.None));

        Assert.Contains($"session {theirSession} is not hr1's", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContinuingFromAnotherComputersRecoveryPoint_Refused()
    {
        using var hr = _agents.Connect("hr1");

        var message = await RefusedAsync(() => BeginAsync(hr, _theirs.DataSourceId, parentId: _theirPoint));

        Assert.Contains($"recovery point {_theirPoint} is not one of hr1's", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DELETE", "api/agents/finance1")] // remove another agent
    [InlineData("POST", "api/prune")] // prune its own history (or anyone's)
    [InlineData("PATCH", "api/protection-groups/Payroll")] // change a policy
    [InlineData("GET", "api/recoverypoints")] // list everyone's recovery points
    [InlineData("POST", "api/pool/verify")]
    public async Task ManagementCalls_OnTheAgentsEndpoint_Refused(string method, string path)
    {
        var identity = Path.Combine(_root, "hr1", "identity");
        using var certificate = X509Certificate2.CreateFromPemFile(Path.Combine(identity, "agent.crt"), Path.Combine(identity, "agent.key"));
        using var handler = new HttpClientHandler { ClientCertificateOptions = ClientCertificateOption.Manual, ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        handler.ClientCertificates.Add(certificate);
        using var http = new HttpClient(handler) { BaseAddress = new Uri(File.ReadAllText(Path.Combine(identity, "server.url"))) };

        using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") });
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("can't list other computers' data, delete, prune or change policies", body, StringComparison.Ordinal);
        Assert.Equal(2, (await new DpmManagementClient(new HttpClient { BaseAddress = new Uri(_server.Url) }).GetRecoveryPointsAsync(null, CancellationToken.None)).Value!.Count);
    }

    private static async Task<string> BeginAsync(ReplicaConnection connection, string dataSourceId, string parentId)
    {
        var reply = await connection.CallAsync(
            "begin",
            o => connection.Client.BeginAsync(new BeginRequest
            {
                DataSourceId = dataSourceId,
                DataSourceName = "x",
                PluginId = "Dpm.Workloads.Files",
                Kind = nameof(RecoveryPointKind.ExpressFull),
                Consistency = nameof(SnapshotConsistency.CrashConsistent),
                ParentId = parentId,
            }, o).ResponseAsync,
            CancellationToken.None);
        return reply.SessionId;
    }
}
