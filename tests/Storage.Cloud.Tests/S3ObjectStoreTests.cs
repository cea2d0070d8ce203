using Dpm.Tests;
using System.Diagnostics;
using System.Security.Cryptography;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Storage;
using Dpm.Storage.Cloud;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;
using ByteRange = Dpm.Contracts.ByteRange;

namespace Storage.Cloud.Tests;

public sealed class S3ObjectStoreTests(S3rverFixture s3, ITestOutputHelper output) : IClassFixture<S3rverFixture>
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task PutAsync_SmallObject_ReadsBackWholeAndInRanges()
    {
        var bucket = S3rverFixture.NewBucket();
        await using var store = await s3.OpenAsync(bucket, extra: ("Prefix", "pool/"));
        var data = Data(100_000, seed: 1);

        Assert.Equal(PutOutcome.Stored, await store.PutAsync("data/ab/object", new MemoryStream(data), null, CancellationToken.None));

        Assert.Equal($"s3:127.0.0.1:{s3.Emulator.Port}/{bucket}/pool/", store.Location);
        Assert.Equal(data, await ReadAsync(store, "data/ab/object"));
        Assert.Equal(data[10..110], await ReadAsync(store, "data/ab/object", new ByteRange(10, 100)));
        Assert.Equal(data[99_990..], await ReadAsync(store, "data/ab/object", new ByteRange(99_990, 100))); // cut short at the end
        Assert.Empty((await ReadAsync(store, "data/ab/object", new ByteRange(200_000, 10)))!); // starts past the end: empty
        Assert.Empty((await ReadAsync(store, "data/ab/object", new ByteRange(5, 0)))!);
        Assert.True(await store.ExistsAsync("data/ab/object", CancellationToken.None));
        var info = await store.GetInfoAsync("data/ab/object", CancellationToken.None);
        Assert.Equal(("data/ab/object", 100_000L), (info!.Name, info.Length));
        Assert.InRange(info.LastModified, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal(new StorageSpace(null, null), await store.GetSpaceAsync(CancellationToken.None));
    }

    [Fact]
    public async Task OpenReadAsync_MissingObject_NullWholeAndRanged()
    {
        await using var store = await s3.OpenAsync(S3rverFixture.NewBucket());

        Assert.Null(await store.OpenReadAsync("data/none", CancellationToken.None));
        Assert.Null(await store.OpenReadAsync("data/none", new ByteRange(0, 10), CancellationToken.None));
        Assert.Null(await store.OpenReadAsync("data/none", new ByteRange(0, 0), CancellationToken.None));
        Assert.False(await store.ExistsAsync("data/none", CancellationToken.None));
        Assert.Null(await store.GetInfoAsync("data/none", CancellationToken.None));
    }

    [Fact]
    public async Task PutAsync_SameNameTwice_SecondAlreadyExistsAndFirstKept()
    {
        await using var store = await s3.OpenAsync(S3rverFixture.NewBucket());
        var first = Data(1000, seed: 2);

        Assert.Equal(PutOutcome.Stored, await store.PutAsync("meta/one", new MemoryStream(first), null, CancellationToken.None));
        Assert.Equal(PutOutcome.AlreadyExists, await store.PutAsync("meta/one", new MemoryStream(Data(2000, seed: 3)), null, CancellationToken.None));

        Assert.Equal(first, await ReadAsync(store, "meta/one"));
    }

    [Fact]
    public async Task ListAsync_SmallPages_EveryObjectOnceWithoutTheStorePrefix()
    {
        var bucket = S3rverFixture.NewBucket();
        await using (var opened = await s3.OpenAsync(bucket))
        {
            await opened.PutAsync("outside", new MemoryStream([1]), null, CancellationToken.None); // not under the store's prefix
        }

        var options = CloudStoreOptions.Bind(s3.Settings(bucket, ("Prefix", "pool/")));
        await using var store = S3ObjectStore.Create(options, NullLogger.Instance, TimeProvider.System, listPageSize: 2);
        string[] data = ["data/a1", "data/a2", "data/b1", "data/b2", "data/c1"];
        foreach (var name in data.Append("meta/m1").Append("meta/m2"))
        {
            await store.PutAsync(name, new MemoryStream(Data(10, seed: name.Length)), null, CancellationToken.None);
        }

        var listed = await store.ListAsync("data/", CancellationToken.None).ToListAsync();
        var all = await store.ListAsync("", CancellationToken.None).Select(o => o.Name).ToListAsync();
        var partial = await store.ListAsync("data/b", CancellationToken.None).Select(o => o.Name).ToListAsync();

        Assert.Equal(data, listed.Select(o => o.Name));
        Assert.All(listed, o => Assert.Equal(10, o.Length));
        Assert.Equal([.. data, "meta/m1", "meta/m2"], all);
        Assert.Equal(["data/b1", "data/b2"], partial);
    }

    [Fact]
    public async Task DeleteAsync_ExistingThenMissing_TrueThenFalse()
    {
        await using var store = await s3.OpenAsync(S3rverFixture.NewBucket());
        await store.PutAsync("data/x", new MemoryStream(Data(500, seed: 4)), null, CancellationToken.None);

        Assert.True(await store.DeleteAsync("data/x", CancellationToken.None));
        Assert.False(await store.DeleteAsync("data/x", CancellationToken.None));
        Assert.False(await store.ExistsAsync("data/x", CancellationToken.None));
        Assert.Null(await store.OpenReadAsync("data/x", CancellationToken.None));
    }

    [Fact]
    public async Task PutAsync_40MiBInFiveMiBPartsFourAtOnce_ReadsBackByteIdentical()
    {
        var log = new S3TestLog();
        await using var store = await s3.OpenAsync(S3rverFixture.NewBucket(), log, ("BlockBytes", $"{5 * MiB}"), ("Parallelism", "4"));
        var data = Data(40 * MiB, seed: 5);
        var reports = new List<ProgressReport>();
        var progress = new SynchronousProgress(r => { lock (reports) { reports.Add(r); } });

        Assert.Equal(PutOutcome.Stored, await store.PutAsync("data/big", new MemoryStream(data), progress, CancellationToken.None));

        await using var read = (await store.OpenReadAsync("data/big", CancellationToken.None))!;
        Assert.Equal(SHA256.HashData(data), await SHA256.HashDataAsync(read));
        Assert.Equal(8, reports.Count); // one report per part stored
        Assert.Equal(40L * MiB, reports.Max(r => r.BytesDone));
        Assert.All(reports, r => Assert.Equal(40L * MiB, r.BytesTotal));
    }

    [Fact]
    public async Task PutAsync_UnknownLength_MultipartWhenLargeSingleWhenSmall()
    {
        await using var store = await s3.OpenAsync(S3rverFixture.NewBucket(), extra: ("BlockBytes", $"{1 * MiB}"));
        var large = Data((3 * MiB) + 12345, seed: 6);
        var small = Data(1000, seed: 7);

        Assert.Equal(PutOutcome.Stored, await store.PutAsync("data/large", new ForwardOnlyStream(large), null, CancellationToken.None));
        Assert.Equal(PutOutcome.Stored, await store.PutAsync("data/small", new ForwardOnlyStream(small), null, CancellationToken.None));

        Assert.Equal(large, await ReadAsync(store, "data/large"));
        Assert.Equal(small, await ReadAsync(store, "data/small"));
    }

    [Fact]
    public async Task PutAsync_CancelledDuringMultipart_NoObjectUploadAbortedAndLaterPutWorks()
    {
        var log = new S3TestLog();
        await using var store = await s3.OpenAsync(S3rverFixture.NewBucket(), log, ("BlockBytes", $"{2 * MiB}"), ("Parallelism", "2"));
        var data = Data(20 * MiB, seed: 8);
        using var cancel = new CancellationTokenSource();
        var content = new ForwardOnlyStream(data, afterBytes: 9 * MiB, then: cancel.Cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PutAsync("data/cancelled", content, null, cancel.Token).AsTask());

        Assert.False(await store.ExistsAsync("data/cancelled", CancellationToken.None));
        Assert.Empty(await store.ListAsync("", CancellationToken.None).ToListAsync());
        var abort = Assert.Single(log.Lines, l => l.EventId is 3302 or 3303);
        output.WriteLine($"abort: {abort.Message}");
        Assert.Contains("data/cancelled", abort.Message, StringComparison.Ordinal);

        Assert.Equal(PutOutcome.Stored, await store.PutAsync("data/cancelled", new MemoryStream(data), null, CancellationToken.None));
        Assert.Equal(SHA256.HashData(data), SHA256.HashData((await ReadAsync(store, "data/cancelled"))!));
    }

    [Fact]
    public async Task PutAsync_RateLimited4MiBps_Sends8MiBAtThatRate()
    {
        const long rate = 4 * MiB;
        await using var store = await s3.OpenAsync(S3rverFixture.NewBucket(), extra: [("MaxUploadBytesPerSecond", $"{rate}"), ("BlockBytes", $"{16 * MiB}")]);
        await store.PutAsync("data/burst", new MemoryStream(Data(4 * MiB, seed: 9)), null, CancellationToken.None); // spends the one-second burst
        var data = Data(8 * MiB, seed: 10);

        var clock = Stopwatch.StartNew();
        await store.PutAsync("data/measured", new MemoryStream(data), null, CancellationToken.None);
        clock.Stop();

        var measured = data.Length / clock.Elapsed.TotalSeconds;
        output.WriteLine($"8 MiB in {clock.Elapsed.TotalSeconds:F2} s: {measured / MiB:F2} MiB/s (limit 4 MiB/s)");
        Assert.InRange(measured, rate * 0.75, rate * 1.25);
        Assert.Equal(data, await ReadAsync(store, "data/measured"));
    }

    [Fact]
    public async Task OpenStoreAsync_MissingBucketWithoutCreate_ClearErrorNamingBucket()
    {
        var bucket = S3rverFixture.NewBucket();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => s3.OpenAsync(bucket, extra: ("CreateContainer", "false")));

        Assert.Contains($"the S3 bucket '{bucket}' does not exist at 127.0.0.1:{s3.Emulator.Port}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(S3rverFixture.Secret, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenStoreAsync_UnknownAccessKey_ClearErrorNamingBucketNotSecret()
    {
        var bucket = S3rverFixture.NewBucket();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => s3.OpenAsync(bucket, extra: ("AccessKey", "AKIANOTKNOWNHERE")));

        Assert.Contains($"the S3 service at 127.0.0.1:{s3.Emulator.Port} refused access to the bucket '{bucket}' (403): check the access key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(S3rverFixture.Secret, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenStoreAsync_ExistingBucket_OpensAgain()
    {
        var bucket = S3rverFixture.NewBucket();
        await using (var first = await s3.OpenAsync(bucket))
        {
            await first.PutAsync("meta/kept", new MemoryStream([1, 2, 3]), null, CancellationToken.None);
        }

        await using var again = await s3.OpenAsync(bucket);
        await using var withoutCreate = await s3.OpenAsync(bucket, extra: ("CreateContainer", "false"));

        Assert.Equal([1, 2, 3], await ReadAsync(again, "meta/kept"));
        Assert.True(await withoutCreate.ExistsAsync("meta/kept", CancellationToken.None));
    }

    [Fact]
    public async Task OpenStoreAsync_UnreachableEndpoint_ClearErrorNamingEndpointAndBucket()
    {
        var port = Dpm.Tests.PostgresServer.FreePort(); // nothing listens there
        var bucket = S3rverFixture.NewBucket();
        var plugin = new CloudStoragePlugin();
        var settings = s3.Settings(bucket, ("ServiceUrl", $"http://127.0.0.1:{port}"), ("Retries", "1"));

        var error = await Assert.ThrowsAsync<IOException>(() => plugin.OpenStoreAsync(settings, CancellationToken.None).AsTask());

        Assert.Contains($"can't reach the S3 service at 127.0.0.1:{port} to open the bucket '{bucket}'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(S3rverFixture.Secret, error.ToString(), StringComparison.Ordinal);
    }

    private static async Task<byte[]?> ReadAsync(IObjectStore store, string name, ByteRange? range = null)
    {
        await using var stream = range is { } r
            ? await store.OpenReadAsync(name, r, CancellationToken.None)
            : await store.OpenReadAsync(name, CancellationToken.None);
        if (stream is null)
        {
            return null;
        }

        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static byte[] Data(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; would post them later).</summary>
    private sealed class SynchronousProgress(Action<ProgressReport> report) : IProgress<ProgressReport>
    {
        public void Report(ProgressReport value) => report(value);
    }

    [Fact]
    public async Task PutAsync_ConnectionsCutMidUploadAndServiceBusy_RetriedAndStoredWhole_NoPartialObject()
    {
        var bucket = S3rverFixture.NewBucket();
        await using (await s3.OpenAsync(bucket))
        {
        }

        // Two connections cut after 1 MiB of their request went through, then two 503 answers: all retried.
        await using var proxy = new FaultProxy(s3.Emulator.Port, drop: 0, busy: 2, cut: 2, cutAfterBytes: MiB);
        await using var store = await s3.OpenAsync(bucket, extra: [("ServiceUrl", $"http://127.0.0.1:{proxy.Port}"), ("BlockBytes", $"{5 * MiB}"), ("Parallelism", "2"), ("Retries", "6")]);
        var data = Data(12 * MiB, seed: 11);

        Assert.Equal(PutOutcome.Stored, await store.PutAsync("data/retried", new MemoryStream(data), null, CancellationToken.None));

        Assert.Equal(4, proxy.Spoiled);
        await using var direct = await s3.OpenAsync(bucket);
        await using var read = (await direct.OpenReadAsync("data/retried", CancellationToken.None))!;
        Assert.Equal(SHA256.HashData(data), await SHA256.HashDataAsync(read));
        Assert.Equal(["data/retried"], await direct.ListAsync("", CancellationToken.None).Select(o => o.Name).ToListAsync());
    }


    [Fact]
    public async Task LockAsync_ServiceWithoutObjectLock_SaysNotEnabled_AndPretendsNothing()
    {
        await using var store = await s3.OpenAsync(S3rverFixture.NewBucket());
        await store.PutAsync("manifests/p1", new MemoryStream([1, 2, 3]), null, CancellationToken.None);
        var locks = Assert.IsAssignableFrom<IImmutabilityLock>(store);

        Assert.Equal(LockOutcome.NotEnabled, await locks.LockAsync("manifests/p1", DateTimeOffset.UtcNow.AddDays(30), CancellationToken.None));
        Assert.Equal(LockOutcome.NotFound, await locks.LockAsync("manifests/none", DateTimeOffset.UtcNow.AddDays(30), CancellationToken.None));
        Assert.Null(await locks.GetLockAsync("manifests/p1", CancellationToken.None));
    }


    [Fact]
    public async Task ServiceBusyEveryTime_ClearErrorAfterTheRetries_AndNothingStoredIsLost()
    {
        var bucket = S3rverFixture.NewBucket();
        await using var direct = await s3.OpenAsync(bucket);
        var kept = Data(2 * MiB, seed: 13);
        await direct.PutAsync("data/kept", new MemoryStream(kept), null, CancellationToken.None);
        await using var proxy = new FaultProxy(s3.Emulator.Port, drop: 0, busy: int.MaxValue);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => s3.OpenAsync(bucket, extra: [("ServiceUrl", $"http://127.0.0.1:{proxy.Port}"), ("Retries", "2")]));

        output.WriteLine(error.Message);
        Assert.Contains(bucket, error.Message, StringComparison.Ordinal);
        Assert.Contains("503", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(S3rverFixture.Secret, error.ToString(), StringComparison.Ordinal);
        Assert.Equal(3, proxy.Spoiled); // the first try and two retries
        await using var read = (await direct.OpenReadAsync("data/kept", CancellationToken.None))!;
        Assert.Equal(SHA256.HashData(kept), await SHA256.HashDataAsync(read));
    }

}
