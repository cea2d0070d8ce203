using Dpm.Contracts.Spi;
using Dpm.Contracts.Storage;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Dpm.Contracts.Testing;

/// <summary>
/// The conformance kit of a storage plugin: inherit it in the plugin's test project, give the settings of a fresh
/// store, and every fact here runs against an <see cref="IObjectStore"/> the plugin opens: put and get, create-only
/// puts (immutability), ranged reads, listing by prefix, delete, missing objects, and concurrent writers.
/// </summary>
/// <typeparam name="TPlugin">The storage plugin's entry point.</typeparam>
public abstract class StorageConformance<TPlugin> : PluginConformance<TPlugin>
    where TPlugin : IStoragePlugin, new()
{
    private static readonly CancellationToken None = CancellationToken.None;
    private TPlugin? _plugin;
    private IObjectStore? _store;

    /// <summary>The store this test works on, opened by the plugin with <see cref="StoreSettings"/>.</summary>
    protected IObjectStore Store => _store ?? throw new InvalidOperationException("the store opens in InitializeAsync");

    /// <summary>The settings (for <see cref="IStoragePlugin.OpenStoreAsync"/>) of a new, empty store of this test's own.</summary>
    /// <param name="folder">An empty folder of the test's own (for a store on disk).</param>
    protected abstract IConfiguration StoreSettings(string folder);

    /// <summary>The plugin's configuration (<c>Plugins:&lt;id&gt;</c>); none by default.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> PluginSettings => [];

    /// <summary>The size of the larger objects the facts write, so that a plugin's multi-part paths run; 300 KB by default.</summary>
    protected virtual int LargeObjectBytes => 300_000;

    /// <summary>
    /// Whether the store itself refuses the second of two concurrent puts of one name (true by default). A store on a
    /// service that can only ask "does it exist?" before it writes says false and documents the race; the fact then
    /// checks that at least one writer is stored and that a read gives one writer's content whole, or fails (the
    /// service mixed the writers and the store's integrity check caught it), never a mix.
    /// </summary>
    protected virtual bool ConcurrentPutsOfOneNameAreExclusive => true;

    /// <inheritdoc />
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _plugin = await StartPluginAsync(PluginSettings);
        _store = await _plugin.OpenStoreAsync(StoreSettings(Path.Combine(WorkFolder, "store")), None);
    }

    /// <inheritdoc />
    public override async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        if (_plugin is not null)
        {
            await _plugin.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    /// <summary>A put is stored, and reading the object gives the same bytes, size and existence.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public async Task PutAsync_NewName_ReadsBackTheSameBytes(int size)
    {
        var data = Bytes(size < 0 ? LargeObjectBytes : size, seed: 1);

        Assert.Equal(PutOutcome.Stored, await Store.PutAsync("data/ab/object", new MemoryStream(data), null, None));

        Assert.Equal(data, await ReadAsync("data/ab/object"));
        Assert.True(await Store.ExistsAsync("data/ab/object", None));
        var info = await Store.GetInfoAsync("data/ab/object", None);
        Assert.Equal(("data/ab/object", (long)data.Length), (info?.Name, info?.Length ?? -1));
    }

    /// <summary>Objects are immutable: a put of a name that exists answers <see cref="PutOutcome.AlreadyExists"/> and keeps the first content.</summary>
    [Fact]
    public async Task PutAsync_NameExists_AlreadyExistsAndTheFirstIsKept()
    {
        var first = Bytes(1000, seed: 2);
        Assert.Equal(PutOutcome.Stored, await Store.PutAsync("meta/one", new MemoryStream(first), null, None));

        Assert.Equal(PutOutcome.AlreadyExists, await Store.PutAsync("meta/one", new MemoryStream(Bytes(2000, seed: 3)), null, None));
        Assert.Equal(PutOutcome.AlreadyExists, await Store.PutAsync("meta/one", new MemoryStream([]), null, None));

        Assert.Equal(first, await ReadAsync("meta/one"));
    }

    /// <summary>A ranged read gives that slice; a range past the end is cut short at the end; one starting at or past the end is empty.</summary>
    [Theory]
    [InlineData(0, 100)]
    [InlineData(12_345, 1000)]
    [InlineData(99_990, 10)]
    [InlineData(99_990, 100)]
    [InlineData(100_000, 10)]
    [InlineData(200_000, 10)]
    [InlineData(5, 0)]
    public async Task OpenReadAsync_Range_ReturnsThatSlice(long offset, long length)
    {
        var data = Bytes(100_000, seed: 4);
        await Store.PutAsync("data/ranged", new MemoryStream(data), null, None);

        var slice = await ReadAsync("data/ranged", new ByteRange(offset, length));

        var start = (int)Math.Min(offset, data.Length);
        Assert.Equal(data[start..(int)Math.Min(offset + length, data.Length)], slice);
    }

    /// <summary>A missing object: null for whole and ranged reads and for its info, false for existence and delete.</summary>
    [Fact]
    public async Task OpenReadAsync_MissingObject_NullAndFalseNotExceptions()
    {
        Assert.Null(await Store.OpenReadAsync("data/none", None));
        Assert.Null(await Store.OpenReadAsync("data/none", new ByteRange(0, 10), None));
        Assert.False(await Store.ExistsAsync("data/none", None));
        Assert.Null(await Store.GetInfoAsync("data/none", None));
        Assert.False(await Store.DeleteAsync("data/none", None));
    }

    /// <summary>A delete removes the object: it is gone for reads and listings, and its name can be written again.</summary>
    [Fact]
    public async Task DeleteAsync_StoredObject_GoneAndNameFreeAgain()
    {
        await Store.PutAsync("data/doomed", new MemoryStream(Bytes(500, seed: 5)), null, None);

        Assert.True(await Store.DeleteAsync("data/doomed", None));

        Assert.Null(await Store.OpenReadAsync("data/doomed", None));
        Assert.False(await Store.ExistsAsync("data/doomed", None));
        Assert.DoesNotContain("data/doomed", await NamesAsync(""));
        Assert.False(await Store.DeleteAsync("data/doomed", None));
        var again = Bytes(10, seed: 6);
        Assert.Equal(PutOutcome.Stored, await Store.PutAsync("data/doomed", new MemoryStream(again), null, None));
        Assert.Equal(again, await ReadAsync("data/doomed"));
    }

    /// <summary>Listing by prefix gives exactly the objects whose names start with it, each once with its size.</summary>
    [Fact]
    public async Task ListAsync_Prefix_ExactlyTheObjectsUnderIt()
    {
        string[] names = ["data/a1", "data/a2", "data/b1", "datum", "meta/m1", "meta/sub/m2"];
        foreach (var (name, index) in names.Select((name, index) => (name, index)))
        {
            await Store.PutAsync(name, new MemoryStream(Bytes(10 + index, seed: index)), null, None);
        }

        Assert.Equal(names, await NamesAsync(""));
        Assert.Equal(["data/a1", "data/a2", "data/b1"], await NamesAsync("data/"));
        Assert.Equal(["data/a1", "data/a2", "data/b1", "datum"], await NamesAsync("dat"));
        Assert.Equal(["meta/m1", "meta/sub/m2"], await NamesAsync("meta/"));
        Assert.Empty(await NamesAsync("none/"));
        var listed = new Dictionary<string, long>();
        await foreach (var stored in Store.ListAsync("", None))
        {
            listed.Add(stored.Name, stored.Length);
        }

        Assert.Equal(names.Select((name, index) => (name, (long)(10 + index))), listed.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => (pair.Key, pair.Value)));
    }

    /// <summary>Concurrent writers of different names all land, each with its own bytes.</summary>
    [Fact]
    public async Task PutAsync_ConcurrentWritersOfDifferentNames_AllStored()
    {
        var contents = Enumerable.Range(0, 8).Select(i => Bytes(LargeObjectBytes / 4 + i, seed: 10 + i)).ToArray();

        var outcomes = await Task.WhenAll(contents.Select((data, i) => Task.Run(() => Store.PutAsync($"data/c{i}", new MemoryStream(data), null, None).AsTask())));

        Assert.All(outcomes, outcome => Assert.Equal(PutOutcome.Stored, outcome));
        for (var i = 0; i < contents.Length; i++)
        {
            Assert.Equal(contents[i], await ReadAsync($"data/c{i}"));
        }
    }

    /// <summary>Concurrent writers of one name: exactly one is stored, the others already exist, and the object is the winner's whole.</summary>
    [Fact]
    public async Task PutAsync_ConcurrentWritersOfOneName_ExactlyOneStored()
    {
        var contents = Enumerable.Range(0, 8).Select(i => Bytes(LargeObjectBytes / 2 + i, seed: 20 + i)).ToArray();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var puts = contents.Select(data => Task.Run(async () =>
        {
            await go.Task;
            return await Store.PutAsync("data/contended", new MemoryStream(data), null, None);
        })).ToArray();
        go.SetResult();
        var outcomes = await Task.WhenAll(puts);

        if (ConcurrentPutsOfOneNameAreExclusive)
        {
            var stored = await ReadAsync("data/contended");
            Assert.Single(outcomes, PutOutcome.Stored);
            Assert.Equal(contents[Array.IndexOf(outcomes, PutOutcome.Stored)], stored);
            return;
        }

        Assert.Contains(PutOutcome.Stored, outcomes);
        byte[]? whole;
        try
        {
            whole = await ReadAsync("data/contended");
        }
        catch (Exception ex) when (ex is not (Xunit.Sdk.XunitException or OperationCanceledException))
        {
            return; // the service mixed the writers, and the read refused what it got: no wrong data came back
        }

        Assert.NotNull(whole);
        Assert.Contains(contents, data => data.AsSpan().SequenceEqual(whole));
    }

    /// <summary>The store answers where it is and how much space it has without failing.</summary>
    [Fact]
    public async Task GetSpaceAsync_OpenStore_Answers()
    {
        var space = await Store.GetSpaceAsync(None);

        Assert.False(string.IsNullOrWhiteSpace(Store.Location));
        Assert.True(space.FreeBytes is null or >= 0 && space.TotalBytes is null or >= 0, $"space {space}");
    }

    /// <summary>
    /// A name outside the contract's ('..', an absolute path, an empty segment, a space) is refused with an
    /// <see cref="ArgumentException"/> by put, read and delete, and nothing is written outside the store's folder.
    /// </summary>
    [Fact]
    public async Task PutAsync_NameThatLeavesTheStoreOrBreaksTheRules_RefusedAndNothingWritten()
    {
        string[] hostile = ["../outside", "/outside", "data/../../outside", "data//object", "", ".", "data/with space"];
        foreach (var name in hostile)
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.PutAsync(name, new MemoryStream(Bytes(10, seed: 9)), null, None));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.OpenReadAsync(name, None));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.DeleteAsync(name, None));
        }

        Assert.Empty(await NamesAsync(""));
        var outside = Directory.EnumerateFileSystemEntries(WorkFolder).Select(Path.GetFileName).Where(entry => entry is not "store" and not "plugin-data");
        Assert.Empty(outside);
    }

    /// <summary>Bytes that depend on <paramref name="seed"/>.</summary>
    /// <param name="length">How many.</param>
    /// <param name="seed">Which.</param>
    protected static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
#pragma warning disable CA5394 // test content, not security
        new Random(seed).NextBytes(data);
#pragma warning restore CA5394
        return data;
    }

    private async Task<byte[]?> ReadAsync(string name, ByteRange? range = null)
    {
        var stream = range is { } r ? await Store.OpenReadAsync(name, r, None) : await Store.OpenReadAsync(name, None);
        if (stream is null)
        {
            return null;
        }

        await using (stream)
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            return buffer.ToArray();
        }
    }

    private async Task<List<string>> NamesAsync(string prefix)
    {
        var names = new List<string>();
        await foreach (var stored in Store.ListAsync(prefix, None))
        {
            names.Add(stored.Name);
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }
}
