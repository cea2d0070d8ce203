using System.Diagnostics;
using System.Security.Cryptography;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Blobs.Models;
using Dpm.Contracts;
using Dpm.Contracts.Storage;
using Dpm.Tests;
using Xunit.Abstractions;

namespace Storage.Cloud.Tests;

public sealed class AzureBlobObjectStoreTests(AzureEmulatorFixture azure, ITestOutputHelper output) : IClassFixture<AzureEmulatorFixture>
{
    private const int MiB = 1024 * 1024;
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    [InlineData(300_000, true)]
    [InlineData(300_000, false)]
    public async Task PutAsync_SmallObject_ReadsBackTheSameBytes(int size, bool seekable)
    {
        var container = azure.NewContainer();
        var store = await azure.OpenAsync(("Container", container));
        var data = AzureTestStream.Bytes(size, seed: size);

        Assert.Equal(PutOutcome.Stored, await store.PutAsync("data/ab/cdef", new AzureTestStream(data, seekable), null, None));

        Assert.Equal(data, await ReadAsync(store, "data/ab/cdef"));
        var properties = (await azure.Container(container).GetBlobClient("data/ab/cdef").GetPropertiesAsync()).Value;
#pragma warning disable CA5351 // Content-MD5 is the service's transfer checksum, not a security measure
        Assert.Equal(MD5.HashData(data), properties.ContentHash); // the checksum the service checked on the way in
#pragma warning restore CA5351
    }

    [Theory]
    [InlineData(1000)] // one Put Blob
    [InlineData(3 * 65536 + 5)] // staged blocks
    public async Task PutAsync_NameExists_ReturnsAlreadyExistsAndKeepsTheFirstContent(int size)
    {
        var store = await azure.OpenAsync(("BlockBytes", "65536"));
        var first = AzureTestStream.Bytes(size, seed: 1);

        Assert.Equal(PutOutcome.Stored, await store.PutAsync("a/b", new MemoryStream(first), null, None));
        Assert.Equal(PutOutcome.AlreadyExists, await store.PutAsync("a/b", new MemoryStream(AzureTestStream.Bytes(size, seed: 2)), null, None));
        Assert.Equal(PutOutcome.AlreadyExists, await store.PutAsync("a/b", new AzureTestStream(AzureTestStream.Bytes(size, seed: 3), seekable: false), null, None));

        Assert.Equal(first, await ReadAsync(store, "a/b"));
    }

    [Fact]
    public async Task PutAsync_ManyConcurrentWritersOfOneName_ExactlyOneIsStored()
    {
        var store = await azure.OpenAsync(("BlockBytes", "65536"), ("Parallelism", "2"));
        var contents = Enumerable.Range(0, 8).Select(i => AzureTestStream.Bytes(200_000 + i, seed: 100 + i)).ToArray();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var puts = contents.Select(data => Task.Run(async () =>
        {
            await go.Task;
            return await store.PutAsync("race/object", new AzureTestStream(data, seekable: false), null, None);
        })).ToArray();
        go.SetResult();
        var outcomes = await Task.WhenAll(puts);

        var winner = Assert.Single(Enumerable.Range(0, outcomes.Length), i => outcomes[i] == PutOutcome.Stored);
        Assert.All(outcomes.Where((_, i) => i != winner), o => Assert.Equal(PutOutcome.AlreadyExists, o));
        Assert.Equal(contents[winner], await ReadAsync(store, "race/object"));
    }

    [Theory]
    [InlineData(100, 200, 100, 200)] // the middle
    [InlineData(900, 500, 900, 100)] // runs past the end: cut short
    [InlineData(1000, 10, 1000, 0)] // starts at the end
    [InlineData(5000, 10, 1000, 0)] // starts past the end
    [InlineData(10, 0, 10, 0)] // zero length
    [InlineData(0, 1000, 0, 1000)] // all of it
    public async Task OpenReadAsync_Range_ReturnsTheBytesOfTheRangeCutAtTheEnd(long offset, long length, int expectedStart, int expectedLength)
    {
        var store = await azure.OpenAsync();
        var data = AzureTestStream.Bytes(1000, seed: 7);
        await store.PutAsync("obj", new MemoryStream(data), null, None);

        await using var stream = await store.OpenReadAsync("obj", new ByteRange(offset, length), None);

        Assert.NotNull(stream);
        Assert.Equal(data.AsSpan(expectedStart, expectedLength).ToArray(), await ReadAllAsync(stream));
    }

    [Fact]
    public async Task Operations_OnAMissingObject_ReturnNullOrFalse()
    {
        var store = await azure.OpenAsync();

        Assert.Null(await store.OpenReadAsync("no/such", None));
        Assert.Null(await store.OpenReadAsync("no/such", new ByteRange(0, 10), None));
        Assert.Null(await store.OpenReadAsync("no/such", new ByteRange(5, 0), None));
        Assert.False(await store.ExistsAsync("no/such", None));
        Assert.Null(await store.GetInfoAsync("no/such", None));
        Assert.False(await store.DeleteAsync("no/such", None));
    }

    [Fact]
    public async Task ExistsInfoDelete_OfAStoredObject_TellTheTruthAndDeleteOnce()
    {
        var store = await azure.OpenAsync();
        var before = DateTimeOffset.UtcNow;
        await store.PutAsync("info/obj", new MemoryStream(AzureTestStream.Bytes(4321, seed: 4)), null, None);

        var info = await store.GetInfoAsync("info/obj", None);

        Assert.True(await store.ExistsAsync("info/obj", None));
        Assert.NotNull(info);
        Assert.Equal(("info/obj", 4321L), (info.Name, info.Length));
        Assert.InRange(info.LastModified, before.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5)); // the service's clock, not ours
        Assert.True(await store.DeleteAsync("info/obj", None));
        Assert.False(await store.DeleteAsync("info/obj", None));
        Assert.False(await store.ExistsAsync("info/obj", None));
    }

    [Fact]
    public async Task ListAsync_Prefix_ListsThatPrefixOnlyWithoutTheStorePrefix()
    {
        var container = azure.NewContainer();
        var store = await azure.OpenAsync(("Container", container), ("Prefix", "pool/"));
        var other = await azure.OpenAsync(("Container", container), ("Prefix", "other/"));
        foreach (var name in new[] { "data/ab/1", "data/ab/2", "data/cd/3", "index/1", "config" })
        {
            await store.PutAsync(name, new MemoryStream(AzureTestStream.Bytes(10 + name.Length, seed: 5)), null, None);
        }

        await other.PutAsync("data/ab/9", new MemoryStream([1, 2, 3]), null, None);

        Assert.Equal(["data/ab/1", "data/ab/2", "data/cd/3"], await NamesAsync(store, "data/"));
        Assert.Equal(["data/ab/1", "data/ab/2"], await NamesAsync(store, "data/a"));
        Assert.Equal(["config", "data/ab/1", "data/ab/2", "data/cd/3", "index/1"], await NamesAsync(store, ""));
        Assert.Equal(["data/ab/9"], await NamesAsync(other, ""));
        Assert.Equal(17L, (await store.ListAsync("index/", None).SingleAsync()).Length);
        Assert.Contains("pool/config", await BlobNamesAsync(container)); // the prefix is where the service keeps them
    }

    [Fact]
    public async Task LocationAndSpace_NameAccountContainerAndPrefix_SpaceIsUnknown()
    {
        var container = azure.NewContainer();
        var store = await azure.OpenAsync(("Container", container), ("Prefix", "pool/"));

        Assert.Equal($"azure:devstoreaccount1/{container}/pool/", store.Location);
        Assert.Equal(new StorageSpace(null, null), await store.GetSpaceAsync(None));
    }

    [Fact]
    public async Task PutAsync_LargeObjectOfUnknownLength_UploadsInParallelBlocksAndReadsBackTheSameBytes()
    {
        var container = azure.NewContainer();
        var store = await azure.OpenAsync(("Container", container), ("BlockBytes", $"{4 * MiB}"), ("Parallelism", "4"));
        var data = AzureTestStream.Bytes(40 * MiB + 123, seed: 40);
        var reports = new List<ProgressReport>();
        var progress = new SynchronousProgress(r => { lock (reports) { reports.Add(r); } });

        Assert.Equal(PutOutcome.Stored, await store.PutAsync("packs/large", new AzureTestStream(data, seekable: false), progress, None));

        await using var read = await store.OpenReadAsync("packs/large", None);
        Assert.NotNull(read);
        Assert.Equal(SHA256.HashData(data), await SHA256.HashDataAsync(read));
        var blocks = (await azure.Container(container).GetBlockBlobClient("packs/large").GetBlockListAsync(BlockListTypes.Committed)).Value;
        Assert.Equal(11, blocks.CommittedBlocks.Count());
        Assert.Equal(data.Length, reports.Max(r => r.BytesDone));
    }

    [Fact]
    public async Task PutAsync_CancelledMidUpload_LeavesNoVisibleObjectAndALaterPutWorks()
    {
        var store = await azure.OpenAsync(("BlockBytes", $"{1 * MiB}"), ("Parallelism", "2"));
        var data = AzureTestStream.Bytes(12 * MiB, seed: 12);
        using var cancel = new CancellationTokenSource();
        var content = new AzureTestStream(data, seekable: false) { BeforeRead = read => { if (read >= 6 * MiB) { cancel.Cancel(); } } };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.PutAsync("packs/cut", content, null, cancel.Token));

        Assert.False(await store.ExistsAsync("packs/cut", None));
        Assert.Null(await store.GetInfoAsync("packs/cut", None));
        Assert.Null(await store.OpenReadAsync("packs/cut", None));
        Assert.Empty(await NamesAsync(store, ""));
        Assert.Equal(PutOutcome.Stored, await store.PutAsync("packs/cut", new AzureTestStream(data, seekable: false), null, None));
        Assert.Equal(data, await ReadAsync(store, "packs/cut"));
    }

    [Fact]
    public async Task PutAsync_UploadRateLimit_SendsAtAboutThatRate()
    {
        const long rate = 4 * MiB;
        var store = await azure.OpenAsync(("BlockBytes", $"{1 * MiB}"), ("Parallelism", "4"), ("MaxUploadBytesPerSecond", $"{rate}"));
        await store.PutAsync("warm", new MemoryStream(AzureTestStream.Bytes(4 * MiB, seed: 3)), null, None); // spends the one-second burst
        var data = AzureTestStream.Bytes(8 * MiB, seed: 8);

        var clock = Stopwatch.StartNew();
        Assert.Equal(PutOutcome.Stored, await store.PutAsync("paced", new AzureTestStream(data, seekable: false), null, None));
        clock.Stop();

        var measured = data.Length / clock.Elapsed.TotalSeconds;
        output.WriteLine($"8 MiB at a limit of 4 MiB/s took {clock.Elapsed.TotalSeconds:F2} s: {measured / MiB:F2} MiB/s");
        Assert.InRange(measured, rate * 0.75, rate * 1.25);
    }

    [Fact]
    public async Task OpenStoreAsync_WrongAccountKey_FailsClearlyWithoutTheKey()
    {
        var wrongKey = Convert.ToBase64String(AzureTestStream.Bytes(64, seed: 403));
        var connection = azure.ConnectionString.Replace(CloudEmulator.AzuriteAccountKey, wrongKey, StringComparison.Ordinal);
        var container = azure.NewContainer();

        var error = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => azure.OpenAsync(("Container", container), ("ConnectionString", connection)));

        output.WriteLine(error.Message);
        Assert.Contains($"container '{container}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("403", error.Message, StringComparison.Ordinal);
        Assert.Contains("account name and key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenStoreAsync_MissingContainerNotToBeCreated_FailsNamingIt()
    {
        var container = azure.NewContainer();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => azure.OpenAsync(("Container", container), ("CreateContainer", "false")));

        Assert.Contains($"container '{container}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(CloudEmulator.AzuriteAccountKey, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenStoreAsync_UnreachableEndpoint_FailsNamingTheEndpointAfterRetrying()
    {
        var port = PostgresServer.FreePort(); // nothing listens there
        var connection = azure.ConnectionString.Replace($":{azure.Azurite.Port}/", $":{port}/", StringComparison.Ordinal);

        var error = await Assert.ThrowsAsync<IOException>(() => azure.OpenAsync(("ConnectionString", connection), ("Retries", "1")));

        output.WriteLine(error.Message);
        Assert.Contains($"http://127.0.0.1:{port}/", error.Message, StringComparison.Ordinal);
        Assert.Contains("can't reach", error.Message, StringComparison.Ordinal);
        Assert.Contains("after 1 retries", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(CloudEmulator.AzuriteAccountKey, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenStoreAsync_MalformedConnectionString_FailsWithoutQuotingIt()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => azure.OpenAsync(("ConnectionString", "AccountKey=c2VjcmV0LXZhbHVl;nonsense")));

        Assert.Contains("connection string", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0LXZhbHVl", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operations_ThroughDroppedConnections_AreRetriedAndSucceed()
    {
        await using var proxy = new FaultProxy(azure.Azurite.Port, drop: 2, busy: 0);
        var store = await azure.OpenAsync(("ConnectionString", Through(proxy)), ("Retries", "3"));
        var data = AzureTestStream.Bytes(100_000, seed: 9);

        Assert.Equal(PutOutcome.Stored, await store.PutAsync("retried", new MemoryStream(data), null, None));

        Assert.Equal(data, await ReadAsync(store, "retried"));
        Assert.Equal(2, proxy.Spoiled);
    }

    [Fact]
    public async Task Lock_ServiceWithoutImmutability_SaysNotEnabled_AndPretendsNothing()
    {
        var store = await azure.OpenAsync();
        await store.PutAsync("manifests/p1", new MemoryStream([1, 2, 3]), null, None);
        var locks = Assert.IsAssignableFrom<Dpm.Contracts.Spi.IImmutabilityLock>(store);

        Assert.Equal(LockOutcome.NotEnabled, await locks.LockAsync("manifests/p1", DateTimeOffset.UtcNow.AddDays(30), None));
        Assert.Equal(LockOutcome.NotFound, await locks.LockAsync("manifests/none", DateTimeOffset.UtcNow.AddDays(30), None));
        Assert.Null(await locks.GetLockAsync("manifests/p1", None));
    }

    [Fact]
    public async Task Put_ConnectionsCutMidUpload_RetriedAndStoredWhole_NoPartialObject()
    {
        // Two connections cut after 1 MiB of their request went through: the blocks they carried are sent again.
        await using var proxy = new FaultProxy(azure.Azurite.Port, drop: 0, busy: 0, cut: 2, cutAfterBytes: 1 << 20);
        var store = await azure.OpenAsync(("ConnectionString", Through(proxy)), ("Retries", "4"), ("BlockBytes", $"{4 << 20}"), ("Parallelism", "2"));
        var data = AzureTestStream.Bytes(12 << 20, seed: 12);

        Assert.Equal(PutOutcome.Stored, await store.PutAsync("cut/retried", new MemoryStream(data), null, None));

        Assert.Equal(2, proxy.Spoiled);
        Assert.Equal(data, await ReadAsync(store, "cut/retried"));
        Assert.Equal(["cut/retried"], await NamesAsync(store, "cut/"));
    }

    [Fact]
    public async Task Operations_ServerBusyEveryTime_FailClearlyAfterTheRetries()
    {
        await using var proxy = new FaultProxy(azure.Azurite.Port, drop: 0, busy: int.MaxValue);

        var error = await Assert.ThrowsAsync<IOException>(() => azure.OpenAsync(("ConnectionString", Through(proxy)), ("Retries", "2")));

        output.WriteLine(error.Message);
        Assert.Contains("busy", error.Message, StringComparison.Ordinal);
        Assert.Contains("ServerBusy (503)", error.Message, StringComparison.Ordinal);
        Assert.Contains("after 2 retries", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, proxy.Spoiled);
    }

    private static async Task<byte[]> ReadAsync(Dpm.Contracts.Spi.IObjectStore store, string name)
    {
        await using var stream = await store.OpenReadAsync(name, None);
        Assert.NotNull(stream);
        return await ReadAllAsync(stream);
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private string Through(FaultProxy proxy) =>
        azure.ConnectionString.Replace($":{azure.Azurite.Port}/", $":{proxy.Port}/", StringComparison.Ordinal);

    private static async Task<List<string>> NamesAsync(Dpm.Contracts.Spi.IObjectStore store, string prefix) =>
        await store.ListAsync(prefix, None).Select(o => o.Name).ToListAsync();

    private async Task<List<string>> BlobNamesAsync(string container) =>
        await azure.Container(container).GetBlobsAsync(new GetBlobsOptions()).Select(b => b.Name).ToListAsync();

    /// <summary>Reports on the caller's thread, so every report is in by the time the put returns.</summary>
    private sealed class SynchronousProgress(Action<ProgressReport> report) : IProgress<ProgressReport>
    {
        public void Report(ProgressReport value) => report(value);
    }
}
