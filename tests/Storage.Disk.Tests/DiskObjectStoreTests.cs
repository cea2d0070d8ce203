using Dpm.Contracts;
using Dpm.Contracts.Storage;

namespace Dpm.Storage.Disk.Tests;

public sealed class DiskObjectStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(10 * 1024 * 1024, true)]
    [InlineData(0, false)]
    [InlineData(10 * 1024 * 1024 + 17, false)]
    public async Task PutAsync_RandomData_ReadsBackTheSameBytes(int size, bool seekable)
    {
        await using var pool = await TestPool.OpenAsync();
        var data = RandomBytes(size, seed: size);
        Stream content = seekable ? new MemoryStream(data) : TestStream.ForwardOnly(data);

        Assert.Equal(PutOutcome.Stored, await pool.Store.PutAsync("data/ab/cdef", content, null, None));

        Assert.Equal(data, await pool.ReadAsync("data/ab/cdef"));
        Assert.True(File.Exists(Path.Combine(pool.Root, "data", "ab", "cdef")));
        Assert.Equal(["data/ab/cdef"], pool.Files());
    }

    [Fact]
    public async Task PutAsync_NameExists_ReturnsAlreadyExistsAndKeepsTheContent()
    {
        await using var pool = await TestPool.OpenAsync();
        var first = RandomBytes(4096, seed: 1);

        Assert.Equal(PutOutcome.Stored, await pool.Store.PutAsync("a/b", new MemoryStream(first), null, None));
        Assert.Equal(PutOutcome.AlreadyExists, await pool.Store.PutAsync("a/b", new MemoryStream(RandomBytes(100, seed: 2)), null, None));
        Assert.Equal(PutOutcome.AlreadyExists, await pool.Store.PutAsync("a/b", TestStream.ForwardOnly(RandomBytes(100, seed: 3)), null, None));

        Assert.Equal(first, await pool.ReadAsync("a/b"));
        Assert.Equal(["a/b"], pool.Files());
    }

    [Fact]
    public async Task PutAsync_ManyConcurrentWritersOfOneName_ExactlyOneIsStored()
    {
        await using var pool = await TestPool.OpenAsync();
        var contents = Enumerable.Range(0, 32).Select(i => RandomBytes(256 * 1024, seed: 100 + i)).ToArray();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var puts = contents.Select(data => Task.Run(async () =>
        {
            await go.Task;
            return await pool.Store.PutAsync("race/object", TestStream.ForwardOnly(data), null, None);
        })).ToArray();
        go.SetResult();
        var outcomes = await Task.WhenAll(puts);

        Assert.Single(outcomes, o => o == PutOutcome.Stored);
        Assert.Equal(contents.Length - 1, outcomes.Count(o => o == PutOutcome.AlreadyExists));
        var winner = contents[Array.IndexOf(outcomes, PutOutcome.Stored)];
        Assert.Equal(winner, await pool.ReadAsync("race/object"));
        Assert.Equal(["race/object"], pool.Files()); // no temp file of a loser is left
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
        await using var pool = await TestPool.OpenAsync();
        var data = RandomBytes(1000, seed: 7);
        await pool.Store.PutAsync("obj", new MemoryStream(data), null, None);

        await using var stream = await pool.Store.OpenReadAsync("obj", new ByteRange(offset, length), None);

        Assert.NotNull(stream);
        Assert.Equal(expectedLength, stream.Length);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        Assert.Equal(data.AsSpan(expectedStart, expectedLength).ToArray(), copy.ToArray());
    }

    [Fact]
    public async Task OpenReadAsync_ManySmallRanges_EachReturnsItsBytes()
    {
        await using var pool = await TestPool.OpenAsync();
        var data = RandomBytes(64 * 1024, seed: 8);
        await pool.Store.PutAsync("chunks/pack", new MemoryStream(data), null, None);
        var random = new Random(9);
        var buffer = new byte[64];

        for (var i = 0; i < 2000; i++)
        {
            var offset = random.Next(data.Length);
            var length = random.Next(1, 65);
            await using var stream = await pool.Store.OpenReadAsync("chunks/pack", new ByteRange(offset, length), None);
            var read = await stream!.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false);
            Assert.Equal(data.AsSpan(offset, Math.Min(length, data.Length - offset)).ToArray(), buffer.AsSpan(0, read).ToArray());
        }
    }

    [Fact]
    public async Task OpenReadAsync_RangeStream_SeeksWithinTheRange()
    {
        await using var pool = await TestPool.OpenAsync();
        var data = RandomBytes(1000, seed: 10);
        await pool.Store.PutAsync("obj", new MemoryStream(data), null, None);

        await using var stream = await pool.Store.OpenReadAsync("obj", new ByteRange(100, 50), None);
        stream!.Seek(-10, SeekOrigin.End);
        var tail = new byte[20];

        Assert.Equal(10, await stream.ReadAtLeastAsync(tail, tail.Length, throwOnEndOfStream: false));
        Assert.Equal(data.AsSpan(140, 10).ToArray(), tail.AsSpan(0, 10).ToArray());
    }

    [Fact]
    public async Task MissingObject_ReadsAsNullAndFalse()
    {
        await using var pool = await TestPool.OpenAsync();
        await pool.Store.PutAsync("present/x", new MemoryStream([1]), null, None);

        foreach (var name in new[] { "missing", "present/y", "absent/folder/x", "present" })
        {
            Assert.Null(await pool.Store.OpenReadAsync(name, None));
            Assert.Null(await pool.Store.OpenReadAsync(name, new ByteRange(0, 10), None));
            Assert.False(await pool.Store.ExistsAsync(name, None));
            Assert.Null(await pool.Store.GetInfoAsync(name, None));
            Assert.False(await pool.Store.DeleteAsync(name, None));
        }
    }

    [Fact]
    public async Task NameBelowAnObject_IsMissingAndCantBePut()
    {
        await using var pool = await TestPool.OpenAsync();
        await pool.Store.PutAsync("a/b", new MemoryStream([1]), null, None);

        Assert.Null(await pool.Store.OpenReadAsync("a/b/c", None));
        Assert.Null(await pool.Store.OpenReadAsync("a/b/c", new ByteRange(0, 1), None));
        Assert.False(await pool.Store.ExistsAsync("a/b/c", None));
        Assert.Null(await pool.Store.GetInfoAsync("a/b/c", None));
        Assert.False(await pool.Store.DeleteAsync("a/b/c", None));
        var e = await Assert.ThrowsAsync<IOException>(() => pool.Store.PutAsync("a/b/c", new MemoryStream([2]), null, None).AsTask());
        Assert.Contains("'a/b' is an object", e.Message, StringComparison.Ordinal);
        var folder = await Assert.ThrowsAsync<IOException>(() => pool.Store.PutAsync("a", new MemoryStream([3]), null, None).AsTask());
        Assert.Contains("is a folder of other objects", folder.Message, StringComparison.Ordinal);
        Assert.Equal(["a/b"], pool.Files());
    }

    [Fact]
    public async Task GetInfoAsync_StoredObject_GivesItsLengthAndTime()
    {
        await using var pool = await TestPool.OpenAsync();
        var before = DateTimeOffset.UtcNow.AddSeconds(-2);
        await pool.Store.PutAsync("info/obj", new MemoryStream(new byte[1234]), null, None);

        var info = await pool.Store.GetInfoAsync("info/obj", None);

        Assert.NotNull(info);
        Assert.Equal("info/obj", info.Name);
        Assert.Equal(1234, info.Length);
        Assert.InRange(info.LastModified, before, DateTimeOffset.UtcNow.AddSeconds(2));
        Assert.True(await pool.Store.ExistsAsync("info/obj", None));
    }

    [Fact]
    public async Task ListAsync_Prefix_ListsCommittedNestedObjectsOnly()
    {
        await using var pool = await TestPool.OpenAsync();
        foreach (var name in new[] { "data/ab/cdef", "data/ab/x", "data/cd/y", "data/ab2", "meta/z", "top" })
        {
            await pool.Store.PutAsync(name, new MemoryStream(new byte[name.Length]), null, None);
        }

        // a put held half-way has a temp file on disk, and a stray file has a name no object can have
        var halfWay = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = TestStream.Generated(2 * 1024 * 1024);
        held.BeforeRead = async read =>
        {
            if (read > 0)
            {
                halfWay.TrySetResult();
                await release.Task;
            }
        };
        var heldPut = pool.Store.PutAsync("data/ab/held", held, null, None).AsTask();
        await halfWay.Task;
        await File.WriteAllTextAsync(Path.Combine(pool.Root, "data", "stray file~"), "not an object");
        Assert.Contains(pool.Files(), f => f.StartsWith("data/ab/.tmp", StringComparison.Ordinal));

        Assert.Equal(["data/ab/cdef", "data/ab/x", "data/ab2", "data/cd/y", "meta/z", "top"], await ListAsync(pool, ""));
        Assert.Equal(["data/ab/cdef", "data/ab/x", "data/ab2", "data/cd/y"], await ListAsync(pool, "data/"));
        Assert.Equal(["data/ab/cdef", "data/ab/x", "data/ab2"], await ListAsync(pool, "data/a"));
        Assert.Equal(["data/ab/cdef", "data/ab/x"], await ListAsync(pool, "data/ab/"));
        Assert.Equal(["meta/z"], await ListAsync(pool, "meta/z"));
        Assert.Equal(["data/ab/cdef", "data/ab/x", "data/ab2", "data/cd/y"], await ListAsync(pool, "d"));
        Assert.Empty(await ListAsync(pool, "nothing/"));
        Assert.Empty(await ListAsync(pool, "meta/zz"));

        release.SetResult();
        Assert.Equal(PutOutcome.Stored, await heldPut);
        Assert.Contains("data/ab/held", await ListAsync(pool, "data/ab/"));
        var listed = await pool.Store.ListAsync("data/cd/", None).SingleAsync();
        Assert.Equal(new StoredObject("data/cd/y", "data/cd/y".Length, listed.LastModified), listed);
    }

    [Fact]
    public async Task DeleteAsync_ExistingObject_RemovesItAndFreesTheName()
    {
        await using var pool = await TestPool.OpenAsync();
        await pool.Store.PutAsync("gone/soon", new MemoryStream([1, 2, 3]), null, None);

        Assert.True(await pool.Store.DeleteAsync("gone/soon", None));

        Assert.False(await pool.Store.ExistsAsync("gone/soon", None));
        Assert.False(await pool.Store.DeleteAsync("gone/soon", None));
        Assert.Empty(await ListAsync(pool, ""));
        Assert.Equal(PutOutcome.Stored, await pool.Store.PutAsync("gone/soon", new MemoryStream([4]), null, None));
        Assert.Equal([4], await pool.ReadAsync("gone/soon"));
    }

    public static TheoryData<string> BadNames() =>
    [
        "",
        "..",
        ".",
        "../escaped",
        "a/../../escaped",
        "a/./b",
        "a//b",
        "a/",
        "a\\b",
        "..\\escaped",
        "a b",
        "caf\u00e9",
        "nul\0byte",
        "<absolute>",
        new string('a', 513),
        "a/" + new string('b', 256),
    ];

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task AnyMethod_BadName_ThrowsArgumentExceptionAndCreatesNothing(string name)
    {
        await using var pool = await TestPool.OpenAsync();
        if (name == "<absolute>")
        {
            name = Path.Combine(pool.Parent, "escaped");
        }

        var store = pool.Store;
        var e = await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(name, new MemoryStream([1]), null, None).AsTask());
        Assert.Contains("is not a valid object name", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => store.OpenReadAsync(name, None).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => store.OpenReadAsync(name, new ByteRange(0, 1), None).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => store.ExistsAsync(name, None).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetInfoAsync(name, None).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => store.DeleteAsync(name, None).AsTask());

        Assert.Equal(["pool"], Directory.EnumerateFileSystemEntries(pool.Parent).Select(Path.GetFileName));
        Assert.Empty(Directory.EnumerateFileSystemEntries(pool.Root));
    }

    [Theory]
    [InlineData("../")]
    [InlineData("/")]
    [InlineData("a//")]
    [InlineData("a/../b")]
    [InlineData("a\\")]
    public async Task ListAsync_BadPrefix_ThrowsArgumentException(string prefix)
    {
        await using var pool = await TestPool.OpenAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => ListAsync(pool, prefix));
    }

    [Fact]
    public async Task PutAsync_CancelledHalfWay_LeavesNoObjectAndNoTempFile()
    {
        await using var pool = await TestPool.OpenAsync();
        using var cancel = new CancellationTokenSource();
        var content = TestStream.Generated(64L * 1024 * 1024);
        content.BeforeRead = read =>
        {
            if (read >= 3 * 1024 * 1024)
            {
                cancel.Cancel();
            }

            return Task.CompletedTask;
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pool.Store.PutAsync("big/cancelled", content, null, cancel.Token).AsTask());

        Assert.True(content.Position >= 3 * 1024 * 1024);
        Assert.False(await pool.Store.ExistsAsync("big/cancelled", None));
        Assert.Empty(pool.Files());
    }

    [Fact]
    public async Task PutAsync_AlreadyCancelled_WritesNothing()
    {
        await using var pool = await TestPool.OpenAsync();
        var content = new MemoryStream([1, 2, 3]);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pool.Store.PutAsync("x", content, null, new CancellationToken(canceled: true)).AsTask());

        Assert.Equal(0, content.Position);
        Assert.Empty(pool.Files());
    }

    [Fact]
    public async Task PutAsync_WithProgress_ReportsBytesUpToTheWholeLength()
    {
        await using var pool = await TestPool.OpenAsync();
        var data = RandomBytes(3 * 1024 * 1024 + 5, seed: 11);
        var reports = new List<ProgressReport>();

        await pool.Store.PutAsync("progress", new MemoryStream(data), new SyncProgress(reports.Add), None);

        Assert.NotEmpty(reports);
        Assert.Equal(new ProgressReport(data.Length, data.Length), reports[^1]);
        Assert.Equal(reports.Select(r => r.BytesDone).Order(), reports.Select(r => r.BytesDone));
    }

    [Fact]
    public async Task PutAsync_KnownLengthInsideTheReserve_IsRefusedBeforeReading()
    {
        var reserve = long.MaxValue / 4;
        await using var pool = await TestPool.OpenAsync(reserveBytes: 0);
        await using var reserved = await TestPool.OpenAsync(pool.Root, reserveBytes: reserve);
        var content = TestStream.Unreadable(1000);

        var e = await Assert.ThrowsAsync<IOException>(() => reserved.Store.PutAsync("r", content, null, None).AsTask());

        Assert.StartsWith($"not enough space on {pool.Root}", e.Message, StringComparison.Ordinal);
        Assert.Contains($"need 1000 bytes", e.Message, StringComparison.Ordinal);
        Assert.Contains($"(reserve {reserve})", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, content.ReadCalls);
        var unknown = await Assert.ThrowsAsync<IOException>(() => reserved.Store.PutAsync("r", TestStream.ForwardOnly([1]), null, None).AsTask());
        Assert.Contains("need an unknown number of bytes", unknown.Message, StringComparison.Ordinal);
        Assert.Empty(pool.Files());
        Assert.Equal(PutOutcome.Stored, await pool.Store.PutAsync("r", new MemoryStream([1]), null, None)); // no reserve, no refusal
    }

    [Fact]
    public async Task GetSpaceAsync_ReportsTheFileSystemOfThePool()
    {
        await using var pool = await TestPool.OpenAsync();

        var space = await pool.Store.GetSpaceAsync(None);

        Assert.Equal(new DriveInfo(pool.Root).TotalSize, space.TotalBytes);
        Assert.InRange(space.FreeBytes!.Value, 1, space.TotalBytes!.Value);
    }

    [Fact]
    public async Task Location_IsDiskAndThePoolFolder()
    {
        await using var pool = await TestPool.OpenAsync();

        Assert.Equal("disk:" + pool.Root, pool.Store.Location);
    }

    private static async Task<List<string>> ListAsync(TestPool pool, string prefix)
    {
        var names = new List<string>();
        await foreach (var item in pool.Store.ListAsync(prefix, None))
        {
            names.Add(item.Name);
        }

        return [.. names.Order(StringComparer.Ordinal)];
    }

    private static byte[] RandomBytes(int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    private sealed class SyncProgress(Action<ProgressReport> report) : IProgress<ProgressReport>
    {
        public void Report(ProgressReport value) => report(value);
    }
}
