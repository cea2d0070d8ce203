using System.Text;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Files.Tests.Support;

namespace Dpm.Workloads.Files.Tests;

/// <summary>
/// A corrupt or malicious recovery source must never make a recovery write outside its target folder.
/// Each test crafts the source by hand, recovers into a folder on the test volume, and proves that
/// nothing appeared anywhere else.
/// </summary>
[Collection(VolumesGroup.Name)]
public sealed class RecoverySafetyTests(TestVolumes volumes)
{
    private static readonly CancellationToken None = CancellationToken.None;

    public static TheoryData<ExistingItemBehaviour> Behaviours => [ExistingItemBehaviour.Overwrite, ExistingItemBehaviour.Skip, ExistingItemBehaviour.KeepBoth];

    [Fact]
    public async Task RecoverAsync_PathsThatClimbOutOrAreAbsolute_AreRefusedAndNothingIsWrittenOutside()
    {
        var area = volumes.NewFolder(name: "area");
        var target = Directory.CreateDirectory(Path.Combine(area, "target")).FullName;
        var escape = "dpm-escape-" + Guid.NewGuid().ToString("N")[..8];
        var absolute = Path.Combine(volumes.NewOutsideFolder(), escape);
        var source = Crafted();
        source.Add(Folder("a"));
        var bad = new[]
        {
            "../" + escape, "/" + absolute.TrimStart('/'), "a/../../" + escape, "a/../" + escape, "./" + escape, "a//b", "a/", "a/./b",
            "..\\" + escape, "a\\..\\..\\" + escape, "a\0b", "/", new string('n', 256),
        };
        foreach (var path in bad)
        {
            source.Add(File(path, "evil"));
        }

        source.Add(File("a/good.txt", "good"));
        var workload = await TestHost.StartWorkloadAsync();

        var result = await workload.RecoverAsync(source, new RecoveryRequest { Target = RecoveryTarget.Alternate(target) }, null, None);

        Assert.Equal(RecoveryOutcome.PartiallySucceeded, result.Outcome);
        Assert.Equal(bad.Order(StringComparer.Ordinal), result.Failures.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.All(result.Failures, f => Assert.StartsWith("refused the unsafe item path", f.Reason, StringComparison.Ordinal));
        Assert.Contains(result.Failures, f => f.Reason.Contains("it is absolute", StringComparison.Ordinal));
        Assert.Contains(result.Failures, f => f.Reason.Contains("it contains a '..' segment", StringComparison.Ordinal));
        Assert.Contains(result.Failures, f => f.Reason.Contains("hidden behind '\\' separators", StringComparison.Ordinal));
        Assert.Contains(result.Failures, f => f.Reason.Contains("NUL", StringComparison.Ordinal));
        Assert.Contains(result.Failures, f => f.Reason.Contains("empty segment", StringComparison.Ordinal));
        Assert.Equal("good", System.IO.File.ReadAllText(Path.Combine(target, "a", "good.txt")));
        Assert.False(System.IO.File.Exists(absolute));
        Assert.Equal(["target"], Directory.EnumerateFileSystemEntries(area).Select(Path.GetFileName));
        Assert.Equal(["a/good.txt"], AllFiles(target));
    }

    [Theory]
    [MemberData(nameof(Behaviours))]
    public async Task RecoverAsync_LinkItemFollowedByItemsBelowIt_NeverWritesThroughTheLink(ExistingItemBehaviour behaviour)
    {
        var target = volumes.NewFolder(name: "target");
        var outside = volumes.NewOutsideFolder();
        var source = Crafted();
        source.Add(Link("a", outside));
        source.Add(File("a/evil", "planted through a link"));
        source.Add(Folder("a/sub"));
        source.Add(Folder("b"));
        source.Add(Link("b/c", "../../.."));
        source.Add(File("b/c/evil2", "planted through a relative link"));
        source.Add(Link("d", outside + "/new-file"));
        source.Add(File("d", "a second item at the link's path"));
        var workload = await TestHost.StartWorkloadAsync();

        var result = await workload.RecoverAsync(source, new RecoveryRequest { Target = RecoveryTarget.Alternate(target), Options = new RecoveryOptions { ExistingItems = behaviour } }, null, None);

        Assert.Equal(RecoveryOutcome.PartiallySucceeded, result.Outcome);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.Equal(["a/evil", "a/sub", "b/c/evil2"], result.Failures.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.All(result.Failures, f => Assert.Contains("is a symbolic link, and a recovery never writes through a link", f.Reason, StringComparison.Ordinal));
        Assert.Equal(outside, new FileInfo(Path.Combine(target, "a")).LinkTarget);
        Assert.Equal(outside + "/new-file", new FileInfo(Path.Combine(target, "d")).LinkTarget);
        Assert.False(System.IO.File.Exists(Path.Combine(outside, "new-file")));
    }

    [Theory]
    [MemberData(nameof(Behaviours))]
    public async Task RecoverAsync_TargetAlreadyHoldsLinksToOutside_NeverWritesThroughThem(ExistingItemBehaviour behaviour)
    {
        var target = volumes.NewFolder(name: "target");
        var outside = volumes.NewOutsideFolder();
        System.IO.File.WriteAllText(Path.Combine(outside, "secret"), "untouched");
        Directory.CreateSymbolicLink(Path.Combine(target, "docs"), outside);
        System.IO.File.CreateSymbolicLink(Path.Combine(target, "secret"), Path.Combine(outside, "secret"));
        var source = Crafted();
        source.Add(Folder(""));
        source.Add(Folder("docs"));
        source.Add(File("docs/a.txt", "recovered"));
        source.Add(File("docs/secret", "would overwrite the outside file"));
        source.Add(File("secret", "recovered secret"));
        var workload = await TestHost.StartWorkloadAsync();

        var result = await workload.RecoverAsync(source, new RecoveryRequest { Target = RecoveryTarget.Alternate(target), Options = new RecoveryOptions { ExistingItems = behaviour } }, null, None);

        Assert.Empty(result.Failures);
        Assert.Equal(["secret"], Directory.EnumerateFileSystemEntries(outside).Select(Path.GetFileName));
        Assert.Equal("untouched", System.IO.File.ReadAllText(Path.Combine(outside, "secret")));
        switch (behaviour)
        {
            case ExistingItemBehaviour.Overwrite:
                Assert.True(TestPosix.Lstat(Path.Combine(target, "docs")).IsDirectory); // the link was replaced by the real folder
                Assert.Equal("recovered", System.IO.File.ReadAllText(Path.Combine(target, "docs", "a.txt")));
                Assert.True(TestPosix.Lstat(Path.Combine(target, "secret")).IsRegular);
                Assert.Equal("recovered secret", System.IO.File.ReadAllText(Path.Combine(target, "secret")));
                break;
            case ExistingItemBehaviour.Skip:
                Assert.True(TestPosix.Lstat(Path.Combine(target, "docs")).IsSymbolicLink);
                Assert.True(TestPosix.Lstat(Path.Combine(target, "secret")).IsSymbolicLink);
                Assert.Equal(5, result.ItemsSkipped); // the root, docs and the two items below it, secret
                break;
            default:
                var recoveredDocs = Directory.EnumerateDirectories(target, "docs (recovered *)").Single();
                Assert.Equal("recovered", System.IO.File.ReadAllText(Path.Combine(recoveredDocs, "a.txt")));
                Assert.True(TestPosix.Lstat(Path.Combine(target, "secret")).IsSymbolicLink);
                Assert.Equal("recovered secret", System.IO.File.ReadAllText(Directory.EnumerateFiles(target, "secret (recovered *)").Single()));
                break;
        }
    }

    [Fact]
    public async Task RecoverItemsAsync_ChosenPathsThatClimbOut_AreRefused()
    {
        var target = volumes.NewFolder(name: "target");
        var source = Crafted();
        source.Add(File("../x", "evil"));
        source.Add(File("ok", "ok"));
        var workload = await TestHost.StartWorkloadAsync();

        var result = await workload.RecoverItemsAsync(source, new ItemRecoveryRequest { Target = RecoveryTarget.Alternate(target), Items = ["../x", "/etc/passwd", "ok"] }, null, None);

        Assert.Equal(RecoveryOutcome.PartiallySucceeded, result.Outcome);
        Assert.Equal(["../x", "/etc/passwd"], result.Failures.Select(f => f.Path));
        Assert.Equal(["ok"], AllFiles(target));
        Assert.False(System.IO.File.Exists(Path.Combine(Path.GetDirectoryName(target)!, "x")));
    }

    [Fact]
    public async Task RecoverAsync_DataShorterThanRecordedOrMissing_FailsThatItemOnly()
    {
        var target = volumes.NewFolder(name: "target");
        var source = Crafted();
        source.Add(new ProtectedItem { Path = "short", Kind = ProtectedItemKind.File, Length = 100 }, Encoding.UTF8.GetBytes("ten bytes!"));
        source.Add(File("fine", "fine"));
        source.Add(new ProtectedItem { Path = "odd", Kind = ProtectedItemKind.Log + 10 });
        source.Add(new ProtectedItem { Path = "nolink", Kind = ProtectedItemKind.SymbolicLink });
        var workload = await TestHost.StartWorkloadAsync();

        var result = await workload.RecoverAsync(source, new RecoveryRequest { Target = RecoveryTarget.Alternate(target) }, null, None);

        Assert.Equal(RecoveryOutcome.PartiallySucceeded, result.Outcome);
        Assert.Contains("holds 10 bytes for it, but its recorded length is 100", Assert.Single(result.Failures, f => f.Path == "short").Reason, StringComparison.Ordinal);
        Assert.Single(result.Failures, f => f.Path == "odd");
        Assert.Single(result.Failures, f => f.Path == "nolink");
        Assert.Equal(["fine"], AllFiles(target));
    }

    private MemoryRecoverySource Crafted() =>
        new(TestHost.Folder(volumes.NewFolder(name: "never-used")), DateTimeOffset.UtcNow) { KeepAddOrder = true };

    private static ProtectedItem Folder(string path) => new() { Path = path, Kind = ProtectedItemKind.Directory };

    private static ProtectedItem Link(string path, string target) =>
        new() { Path = path, Kind = ProtectedItemKind.SymbolicLink, Metadata = new ItemMetadata { LinkTarget = target } };

    private static (ProtectedItem, byte[]) File(string path, string text) =>
        (new ProtectedItem { Path = path, Kind = ProtectedItemKind.File, Length = Encoding.UTF8.GetByteCount(text) }, Encoding.UTF8.GetBytes(text));

    private static List<string> AllFiles(string root) =>
        [.. TreeComparer.Scan(root).Values.Where(e => !e.Stat.IsDirectory).Select(e => e.Path).Order(StringComparer.Ordinal)];
}

internal static class MemoryRecoverySourceExtensions
{
    public static void Add(this MemoryRecoverySource source, (ProtectedItem Item, byte[] Data) file) => source.Add(file.Item, file.Data);
}
