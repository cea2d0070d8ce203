using System.Runtime.CompilerServices;
using System.Text;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;

namespace Dpm.Fixtures;

/// <summary>
/// A small but real workload plugin used by the loader and licence tests. Its one data source holds a few
/// generated items. A file named <c>fault.txt</c> in the plugin folder makes it misbehave on purpose:
/// <c>throw-in-constructor</c>, <c>throw-in-initialize</c>, <c>throw-in-discovery</c>, <c>hang-in-initialize</c>,
/// <c>hang-in-discovery</c>, <c>ignore-cancellation</c> (discovery lists on with a cancelled token),
/// <c>accept-any-data-source</c> (protection takes another workload's data source).
/// </summary>
public sealed partial class FixtureWorkload : IWorkloadPlugin
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(5);
    private IPluginContext? _context;

    public FixtureWorkload()
    {
        if (Fault == "throw-in-constructor")
        {
            throw new InvalidOperationException("fixture fault: constructor");
        }
    }

    public static IReadOnlyDictionary<string, string> Items { get; } = new Dictionary<string, string>
    {
        ["a.txt"] = "alpha",
        ["b/c.txt"] = "gamma in b",
        ["b/d.bin"] = new string('d', 4096),
    };

    public ValueTask InitializeAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        Misbehave("initialize");
        _context = context;
        return ValueTask.CompletedTask;
    }

    public async IAsyncEnumerable<DataSource> DiscoverDataSourcesAsync(DataSource? parent, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        Misbehave("discovery");
        if (Fault != "ignore-cancellation")
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (parent is not null)
        {
            yield break;
        }

        var facts = new Dictionary<string, string> { ["computer"] = _context!.Computer.Name };
        AddLibraryFacts(facts);
        yield return new DataSource { Id = "fixture:data", Name = "Fixture data", Kind = "Folder", Facts = facts };
    }

    public ValueTask<IProtectionSession> OpenProtectionSessionAsync(DataSource dataSource, ProtectionSessionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        if (!dataSource.Id.StartsWith("fixture:", StringComparison.Ordinal) && Fault != "accept-any-data-source")
        {
            throw new ArgumentException($"the data source {dataSource.Id} is not the fixture's", nameof(dataSource));
        }

        return ValueTask.FromResult<IProtectionSession>(new Session(dataSource));
    }

    public async IAsyncEnumerable<RecoverableItem> ListRecoverableItemsAsync(IRecoverySource source, string parentPath, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in source.EnumerateItemsAsync(parentPath, cancellationToken))
        {
            yield return new RecoverableItem(item.Path, Path.GetFileName(item.Path), item.Kind, item.Length, false, item.LastWriteTime);
        }
    }

    public async ValueTask<RecoveryResult> RecoverAsync(IRecoverySource source, RecoveryRequest request, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        var folder = request.Target.Path ?? throw new ArgumentException("the fixture recovers to a folder only", nameof(request));
        long items = 0, bytes = 0;
        await foreach (var item in source.EnumerateItemsAsync("", cancellationToken))
        {
            var path = Path.Combine(folder, item.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var input = (await source.OpenItemAsync(item.Path, cancellationToken))!;
            await using var output = File.Create(path);
            await input.CopyToAsync(output, cancellationToken);
            items++;
            bytes += output.Length;
            progress?.Report(new ProgressReport(bytes, ItemsDone: items));
        }

        return new RecoveryResult { Outcome = RecoveryOutcome.Succeeded, ItemsRecovered = items, BytesRecovered = bytes, RecoveredTo = folder };
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    static partial void AddLibraryFacts(Dictionary<string, string> facts);

    /// <summary>Read at every step, so a test can make a running plugin misbehave.</summary>
    private static string Fault
    {
        get
        {
            var faultFile = Path.Combine(Path.GetDirectoryName(typeof(FixtureWorkload).Assembly.Location)!, "fault.txt");
            return File.Exists(faultFile) ? File.ReadAllText(faultFile).Trim() : "";
        }
    }

    private static void Misbehave(string stage)
    {
        var fault = Fault;
        if (fault == $"throw-in-{stage}")
        {
            throw new InvalidOperationException($"fixture fault: {stage}");
        }

        if (fault == $"hang-in-{stage}")
        {
            Thread.Sleep(Hang);
        }
    }

    private sealed class Session(DataSource dataSource) : IProtectionSession
    {
        public DataSource DataSource { get; } = dataSource;

        public ValueTask PrepareAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<FreezeOutcome> FreezeAsync(CancellationToken cancellationToken) =>
            ValueTask.FromResult(FreezeOutcome.NotSupported("the fixture's items never change"));

        public ValueTask<IDataSourceSnapshot> TakeSnapshotAsync(CancellationToken cancellationToken) =>
            ValueTask.FromResult<IDataSourceSnapshot>(new Snapshot());

        public ValueTask ThawAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class Snapshot : IDataSourceSnapshot
    {
        public SnapshotConsistency Consistency => SnapshotConsistency.CrashConsistent;

        public DateTimeOffset TakenAt { get; } = DateTimeOffset.UtcNow;

        public ChangeToken Token { get; } = new("fixture-1");

        public ValueTask<ChangeEnumeration> EnumerateChangesAsync(ChangeToken? since, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new ChangeEnumeration
            {
                IsFull = since != Token,
                Changes = since == Token ? Empty() : All(),
            });

        public ValueTask<Stream?> OpenItemAsync(ProtectedItem item, CancellationToken cancellationToken) =>
            ValueTask.FromResult<Stream?>(Items.TryGetValue(item.Path, out var text) ? new MemoryStream(Encoding.UTF8.GetBytes(text)) : null);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private static async IAsyncEnumerable<ItemChange> All()
        {
            await Task.Yield();
            foreach (var (path, text) in Items)
            {
                yield return new ItemChange(new ProtectedItem { Path = path, Kind = ProtectedItemKind.File, Length = Encoding.UTF8.GetByteCount(text) }, ChangeKind.Added);
            }
        }

        private static async IAsyncEnumerable<ItemChange> Empty()
        {
            await Task.CompletedTask;
            yield break;
        }
    }
}
