using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Xunit;

namespace Dpm.Contracts.Testing;

/// <summary>
/// The conformance kit of a workload plugin: inherit it in the plugin's test project, say how to make a data source
/// and change it, and every fact here runs against the plugin through the contracts alone, as the host would drive
/// it: discover, snapshot, change, express full, recover byte-identical to an alternate location, item-level
/// recovery (when the plugin implements <see cref="IItemLevelRecovery"/>), cancellation, bad input, and the manifest.
/// </summary>
/// <typeparam name="TPlugin">The workload's entry point.</typeparam>
public abstract class WorkloadConformance<TPlugin> : PluginConformance<TPlugin>
    where TPlugin : IWorkloadPlugin, new()
{
    private TPlugin? _plugin;

    /// <summary>The workload, started for this test with <see cref="PluginSettings"/>.</summary>
    protected TPlugin Workload => _plugin ?? throw new InvalidOperationException("the workload starts in InitializeAsync");

    /// <summary>Makes a data source with some content (files, a table with rows) inside <paramref name="folder"/>.</summary>
    /// <param name="folder">An empty folder of the test's own.</param>
    /// <returns>The data source, as the plugin would describe it.</returns>
    protected abstract Task<DataSource> CreateDataSourceAsync(string folder);

    /// <summary>Changes the content of a data source <see cref="CreateDataSourceAsync"/> made, so that at least one item reads differently.</summary>
    /// <param name="dataSource">The data source.</param>
    protected abstract Task ChangeDataSourceAsync(DataSource dataSource);

    /// <summary>A data source of the plugin's kind whose location doesn't exist, inside <paramref name="folder"/>.</summary>
    /// <param name="folder">An empty folder of the test's own.</param>
    protected abstract DataSource MissingDataSource(string folder);

    /// <summary>The plugin's configuration (<c>Plugins:&lt;id&gt;</c>) for a test whose data sources live in <paramref name="folder"/>; none by default.</summary>
    /// <param name="folder">The folder <see cref="CreateDataSourceAsync"/> is given.</param>
    protected virtual IEnumerable<KeyValuePair<string, string?>> PluginSettings(string folder) => [];

    /// <summary>
    /// Whether <see cref="IWorkloadPlugin.DiscoverDataSourcesAsync"/> lists the data source
    /// <see cref="CreateDataSourceAsync"/> made, configured by <see cref="PluginSettings"/>. True by default; a
    /// workload that lists only what it finds on its own (volumes) says false, and discovery is then only checked
    /// to answer with well-formed data sources.
    /// </summary>
    protected virtual bool DiscoversCreatedDataSource => true;

    /// <summary>Where a whole data source is recovered to: by default the alternate location <paramref name="folder"/>/recovered.</summary>
    /// <param name="dataSource">The data source.</param>
    /// <param name="folder">An empty folder of the test's own.</param>
    protected virtual RecoveryTarget AlternateLocation(DataSource dataSource, string folder) => RecoveryTarget.Alternate(Path.Combine(folder, "recovered"));

    /// <summary>Where chosen items are recovered to: by default a copy into the folder <paramref name="folder"/>/items.</summary>
    /// <param name="folder">An empty folder of the test's own.</param>
    protected virtual RecoveryTarget ItemRecoveryTarget(string folder) => RecoveryTarget.CopyTo(Path.Combine(folder, "items"));

    /// <summary>The file an item recovered to <paramref name="target"/> is in: by default its path below the target folder.</summary>
    /// <param name="target">The item recovery's target.</param>
    /// <param name="itemPath">The item's path in the recovery point.</param>
    protected virtual string RecoveredItemFile(RecoveryTarget target, string itemPath)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Path.Combine(target.Path!, itemPath);
    }

    /// <summary>
    /// Asserts that what a recovery wrote equals what the recovery point holds. By default: every file item is a file
    /// below <paramref name="recoveredTo"/> with the same bytes, every directory item a directory, and there is no
    /// file the point doesn't hold. Override for a workload whose recovery is not a folder tree (a database).
    /// </summary>
    /// <param name="point">The recovery point that was recovered.</param>
    /// <param name="recoveredTo">Where: the recovery result's <see cref="RecoveryResult.RecoveredTo"/>, else the target's path.</param>
    protected virtual Task AssertRecoveredAsync(MemoryRecoveryPoint point, string recoveredTo)
    {
        ArgumentNullException.ThrowIfNull(point);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in point.Items)
        {
            var path = Path.GetFullPath(Path.Combine(recoveredTo, item.Path));
            switch (item.Kind)
            {
                case ProtectedItemKind.File:
                    Assert.True(File.Exists(path), $"'{item.Path}' was not recovered to {path}");
                    Assert.True((point.DataOf(item.Path) ?? []).AsSpan().SequenceEqual(File.ReadAllBytes(path)), $"'{item.Path}' was recovered with other bytes than were read");
                    expected.Add(path);
                    break;
                case ProtectedItemKind.Directory:
                    Assert.True(Directory.Exists(path), $"the directory '{item.Path}' was not recovered to {path}");
                    break;
                default:
                    expected.Add(path);
                    break;
            }
        }

        var extra = Directory.EnumerateFiles(recoveredTo, "*", SearchOption.AllDirectories).Where(file => !expected.Contains(file)).ToList();
        Assert.True(extra.Count == 0, $"the recovery wrote files the recovery point doesn't hold: {string.Join(", ", extra)}");
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Directory.CreateDirectory(DataFolder);
        _plugin = await StartPluginAsync(PluginSettings(DataFolder));
    }

    /// <inheritdoc />
    public override async Task DisposeAsync()
    {
        if (_plugin is not null)
        {
            await _plugin.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    /// <summary>The top of discovery answers, with well-formed data sources, and lists the created one when <see cref="DiscoversCreatedDataSource"/>.</summary>
    [Fact]
    public async Task DiscoverDataSourcesAsync_Top_ListsWellFormedDataSources()
    {
        var created = await CreateDataSourceAsync(DataFolder);

        var found = await ListAsync(Workload.DiscoverDataSourcesAsync(null, CancellationToken.None));

        Assert.All(found, source => Assert.False(string.IsNullOrWhiteSpace(source.Id) || string.IsNullOrWhiteSpace(source.Name) || string.IsNullOrWhiteSpace(source.Kind), $"a data source without id, name or kind: {source}"));
        Assert.Equal(found.Count, found.Select(source => source.Id).Distinct(StringComparer.Ordinal).Count());
        if (DiscoversCreatedDataSource)
        {
            Assert.Contains(created.Id, found.Select(source => source.Id));
        }
    }

    /// <summary>A snapshot read whole and recovered to an alternate location gives back exactly what was read.</summary>
    [Fact]
    public async Task RecoverAsync_ReplicaOfASnapshot_RecoversByteIdentical()
    {
        var dataSource = await CreateDataSourceAsync(DataFolder);

        var point = await MemoryRecoveryPoint.ProtectAsync(Workload, dataSource);

        Assert.NotEmpty(point.Items);
        await RecoverAndAssertAsync(point, "first");
    }

    /// <summary>After a change, an express full since the first snapshot sees the change, and recovering it gives the new content.</summary>
    [Fact]
    public async Task ExpressFull_AfterAChange_SeesTheChangeAndRecoversTheNewContent()
    {
        var dataSource = await CreateDataSourceAsync(DataFolder);
        var first = await MemoryRecoveryPoint.ProtectAsync(Workload, dataSource);

        await ChangeDataSourceAsync(dataSource);
        var second = await MemoryRecoveryPoint.ProtectAsync(Workload, dataSource, first);

        Assert.True(
            first.Items.Count != second.Items.Count || first.Items.Any(item => !(first.DataOf(item.Path) ?? []).AsSpan().SequenceEqual(second.DataOf(item.Path) ?? [])),
            "the express full after a change read the same items with the same bytes as the first synchronization");
        await RecoverAndAssertAsync(second, "second");
    }

    /// <summary>A workload with item-level recovery recovers one chosen file with its bytes.</summary>
    [Fact]
    public async Task RecoverItemsAsync_OneFile_RecoversItsBytes()
    {
        if (Workload is not IItemLevelRecovery items)
        {
            return; // the workload recovers whole data sources only
        }

        var point = await MemoryRecoveryPoint.ProtectAsync(Workload, await CreateDataSourceAsync(DataFolder));
        var file = point.Items.First(item => item.Kind == ProtectedItemKind.File);
        var target = ItemRecoveryTarget(Path.Combine(WorkFolder, "item-recovery"));

        var result = await items.RecoverItemsAsync(point, new ItemRecoveryRequest { Target = target, Items = [file.Path] }, null, CancellationToken.None);

        Assert.True(result.Outcome == RecoveryOutcome.Succeeded, $"the item recovery ended {result.Outcome}: {string.Join("; ", result.Failures.Select(f => $"{f.Path}: {f.Reason}"))}");
        Assert.Equal(point.DataOf(file.Path) ?? [], await File.ReadAllBytesAsync(RecoveredItemFile(target, file.Path)));
    }

    /// <summary>Discovery with a cancelled token ends in <see cref="OperationCanceledException"/>.</summary>
    [Fact]
    public async Task DiscoverDataSourcesAsync_Cancelled_ThrowsOperationCanceled()
    {
        await CreateDataSourceAsync(DataFolder);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ListAsync(Workload.DiscoverDataSourcesAsync(null, Cancelled())));
    }

    /// <summary>Protection with a cancelled token ends in <see cref="OperationCanceledException"/> at the first long call.</summary>
    [Fact]
    public async Task Protection_Cancelled_ThrowsOperationCanceled()
    {
        var dataSource = await CreateDataSourceAsync(DataFolder);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => MemoryRecoveryPoint.ProtectAsync(Workload, dataSource, cancellationToken: Cancelled()));
    }

    /// <summary>Reading a snapshot's changes with a cancelled token ends in <see cref="OperationCanceledException"/>.</summary>
    [Fact]
    public async Task EnumerateChangesAsync_Cancelled_ThrowsOperationCanceled()
    {
        var dataSource = await CreateDataSourceAsync(DataFolder);
        await using var session = await Workload.OpenProtectionSessionAsync(dataSource, new ProtectionSessionOptions(), CancellationToken.None);
        await session.PrepareAsync(CancellationToken.None);
        IDataSourceSnapshot snapshot;
        try
        {
            await session.FreezeAsync(CancellationToken.None);
            snapshot = await session.TakeSnapshotAsync(CancellationToken.None);
        }
        finally
        {
            await session.ThawAsync(CancellationToken.None);
        }

        await using (snapshot)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                var changes = await snapshot.EnumerateChangesAsync(null, Cancelled());
                await foreach (var change in changes.Changes.WithCancellation(Cancelled()))
                {
                    await (await snapshot.OpenItemAsync(change.Item, Cancelled()) ?? Stream.Null).DisposeAsync();
                }
            });
        }
    }

    /// <summary>A recovery with a cancelled token ends in <see cref="OperationCanceledException"/>.</summary>
    [Fact]
    public async Task RecoverAsync_Cancelled_ThrowsOperationCanceled()
    {
        var dataSource = await CreateDataSourceAsync(DataFolder);
        var point = await MemoryRecoveryPoint.ProtectAsync(Workload, dataSource);
        var target = AlternateLocation(dataSource, Path.Combine(WorkFolder, "cancelled"));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Workload.RecoverAsync(point, new RecoveryRequest { Target = target }, null, Cancelled()).AsTask());
    }

    /// <summary>Protecting another workload's data source fails with a clear error that names it.</summary>
    [Fact]
    public async Task Protection_AnotherWorkloadsDataSource_FailsNamingIt()
    {
        var foreign = new DataSource { Id = "conformance-foreign:" + Guid.NewGuid().ToString("N"), Name = "foreign", Kind = "ForeignKind", Location = "/nowhere" };

        var e = await Assert.ThrowsAnyAsync<Exception>(() => MemoryRecoveryPoint.ProtectAsync(Workload, foreign));

        AssertClearError(e, foreign.Id);
    }

    /// <summary>Protecting a data source whose location doesn't exist fails with a clear error that names it, and creates nothing there.</summary>
    [Fact]
    public async Task Protection_MissingDataSource_FailsNamingIt()
    {
        var missing = MissingDataSource(DataFolder);

        var e = await Assert.ThrowsAnyAsync<Exception>(() => MemoryRecoveryPoint.ProtectAsync(Workload, missing));

        AssertClearError(e, missing.Id, missing.Location);
        Assert.False(missing.Location is { } location && Path.Exists(location), $"protecting the missing data source created {missing.Location}");
    }

    /// <summary>A recovery to a relative path is refused clearly (a failed outcome with a reason, or an argument error), and nothing is written.</summary>
    [Fact]
    public async Task RecoverAsync_RelativeTarget_IsRefused()
    {
        var dataSource = await CreateDataSourceAsync(DataFolder);
        var point = await MemoryRecoveryPoint.ProtectAsync(Workload, dataSource);
        var relative = "conformance-relative-" + Guid.NewGuid().ToString("N");
        var target = AlternateLocation(dataSource, relative);

        try
        {
            var result = await Workload.RecoverAsync(point, new RecoveryRequest { Target = target }, null, CancellationToken.None);
            Assert.Equal(RecoveryOutcome.Failed, result.Outcome);
            Assert.True(result.Failures.Count > 0 && result.Failures.All(f => !string.IsNullOrWhiteSpace(f.Reason)), "a refused recovery says why");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }

        Assert.False(Path.Exists(target.Path), $"a refused recovery wrote {Path.GetFullPath(target.Path!)}");
    }

    /// <summary>The folder <see cref="CreateDataSourceAsync"/> is given.</summary>
    protected string DataFolder => Path.Combine(WorkFolder, "data");

    private async Task RecoverAndAssertAsync(MemoryRecoveryPoint point, string name)
    {
        var target = AlternateLocation(point.DataSource, Path.Combine(WorkFolder, "recovery-" + name));
        var result = await Workload.RecoverAsync(point, new RecoveryRequest { Target = target }, null, CancellationToken.None);

        Assert.True(result.Outcome == RecoveryOutcome.Succeeded, $"the recovery ended {result.Outcome}: {string.Join("; ", result.Failures.Select(f => $"{f.Path}: {f.Reason}"))}");
        await AssertRecoveredAsync(point, result.RecoveredTo ?? target.Path!);
    }

    private static void AssertClearError(Exception e, params string?[] names)
    {
        Assert.True(e is ArgumentException or InvalidOperationException, $"expected an ArgumentException or InvalidOperationException, got {e.GetType().Name}: {e}");
        Assert.False(string.IsNullOrWhiteSpace(e.Message), "the error has no message");
        Assert.True(names.Any(name => !string.IsNullOrEmpty(name) && e.Message.Contains(name, StringComparison.Ordinal)), $"the error doesn't name the data source ({string.Join(" or ", names)}): {e.Message}");
    }

    private static CancellationToken Cancelled() => new(canceled: true);

    private static async Task<List<T>> ListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
