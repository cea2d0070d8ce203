using Dpm.Workloads.Files.Tests.Support;

namespace Dpm.Workloads.Files.Tests;

/// <summary>The test's own comparer must see every kind of difference, or a passing round trip proves nothing.</summary>
[Collection(VolumesGroup.Name)]
public sealed class TreeComparerTests(TestVolumes volumes)
{
    [Fact]
    public void Compare_SameTreeCopiedByHandWithChanges_ReportsEachDifference()
    {
        var a = volumes.NewFolder(name: "a");
        var b = volumes.NewFolder(name: "b");
        foreach (var root in new[] { a, b })
        {
            File.WriteAllText(Path.Combine(root, "same.txt"), "same");
            File.WriteAllText(Path.Combine(root, "content.txt"), root == a ? "one" : "two");
            File.WriteAllText(Path.Combine(root, "mode.txt"), "m");
            File.WriteAllText(Path.Combine(root, "owner.txt"), "o");
            File.WriteAllText(Path.Combine(root, "xattr.txt"), "x");
            File.CreateSymbolicLink(Path.Combine(root, "link"), root == a ? "here" : "there");
            File.WriteAllText(Path.Combine(root, "h1"), "h");
            if (root == a)
            {
                TestPosix.HardLink(Path.Combine(root, "h1"), Path.Combine(root, "h2"));
                TreeBuilder.MakeSparseFile(Path.Combine(root, "sparse"));
            }
            else
            {
                File.Copy(Path.Combine(root, "h1"), Path.Combine(root, "h2"));
                File.WriteAllBytes(Path.Combine(root, "sparse"), File.ReadAllBytes(Path.Combine(a, "sparse")));
            }
        }

        File.SetUnixFileMode(Path.Combine(b, "mode.txt"), UnixFileMode.UserRead);
        TestPosix.Lchown(Path.Combine(b, "owner.txt"), 1, 1);
        TestPosix.SetXattr(Path.Combine(b, "xattr.txt"), "user.x", [1]);
        File.SetLastWriteTimeUtc(Path.Combine(b, "same.txt"), new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        File.WriteAllText(Path.Combine(b, "extra"), "");
        File.SetLastWriteTimeUtc(a, File.GetLastWriteTimeUtc(b));

        var differences = string.Join("\n", TreeComparer.Compare(a, b));

        Assert.Contains("'content.txt': content", differences, StringComparison.Ordinal);
        Assert.Contains("'mode.txt': mode", differences, StringComparison.Ordinal);
        Assert.Contains("'owner.txt': owner", differences, StringComparison.Ordinal);
        Assert.Contains("'xattr.txt': extended attributes", differences, StringComparison.Ordinal);
        Assert.Contains("'link': link target", differences, StringComparison.Ordinal);
        Assert.Contains("'same.txt': last write time", differences, StringComparison.Ordinal);
        Assert.Contains("'sparse': sparse", differences, StringComparison.Ordinal);
        Assert.Contains("unexpected: 'extra'", differences, StringComparison.Ordinal);
        Assert.Contains("hard links", differences, StringComparison.Ordinal);
    }
}
