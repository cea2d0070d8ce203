namespace Dpm.Workloads.Files.Tests.Support;

/// <summary>Builds the trees the tests protect and recover.</summary>
public static class TreeBuilder
{
    public const long SparseLength = 32L << 20;
    public const string UnicodeName = "ünïcødé — 日本語 🎉.txt";
    public const string NewlineName = "new\nline.txt";

    private static readonly DateTime OldTime = new(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);

    /// <summary>
    /// A tree with everything the workload must keep: odd names, a path over 4096 characters, empty folders,
    /// symbolic links (to a file, to a folder, dangling, outside), hard links, a sparse file, extended
    /// attributes and POSIX ACLs, set-id and sticky modes, other owners, and a FIFO (which is left out).
    /// </summary>
    public static void BuildRichTree(string root)
    {
        File.WriteAllText(Path.Combine(root, "plain.txt"), "plain text\n");
        File.WriteAllText(Path.Combine(root, UnicodeName), "unicode");
        Directory.CreateDirectory(Path.Combine(root, "with space"));
        File.WriteAllText(Path.Combine(root, "with space", " leading and  double  space.txt"), "spaces");
        File.WriteAllText(Path.Combine(root, NewlineName), "newline in the name");
        File.WriteAllText(Path.Combine(root, "back\\slash.txt"), "a backslash is a legal name character");
        File.WriteAllBytes(Path.Combine(root, "empty.bin"), []);
        File.WriteAllBytes(Path.Combine(root, "big.bin"), RandomBytes(3 << 20, seed: 1));
        File.SetLastWriteTimeUtc(Path.Combine(root, "plain.txt"), OldTime);

        Directory.CreateDirectory(Path.Combine(root, "empty folder"));
        Directory.CreateDirectory(Path.Combine(root, "nested", "empty", "deeper"));

        var links = Directory.CreateDirectory(Path.Combine(root, "links")).FullName;
        File.CreateSymbolicLink(Path.Combine(links, "to-file"), "../plain.txt");
        File.CreateSymbolicLink(Path.Combine(links, "to-folder"), "../nested");
        File.CreateSymbolicLink(Path.Combine(links, "dangling"), "nowhere/at/all");
        File.CreateSymbolicLink(Path.Combine(links, "outside"), "/etc/hostname");

        var hard = Directory.CreateDirectory(Path.Combine(root, "hard", "sub")).Parent!.FullName;
        File.WriteAllText(Path.Combine(hard, "a.txt"), "one inode, three names");
        TestPosix.HardLink(Path.Combine(hard, "a.txt"), Path.Combine(hard, "b.txt"));
        TestPosix.HardLink(Path.Combine(hard, "a.txt"), Path.Combine(hard, "sub", "c.txt"));

        MakeSparseFile(Path.Combine(root, "sparse.img"));

        var attributes = Path.Combine(root, "xattr.txt");
        File.WriteAllText(attributes, "with extended attributes");
        TestPosix.SetXattr(attributes, "user.comment", "hello"u8.ToArray());
        TestPosix.SetXattr(attributes, "user.binary", [.. Enumerable.Range(0, 256).Select(i => (byte)i)]);
        var acl = Path.Combine(root, "acl.txt");
        File.WriteAllText(acl, "with an ACL");
        SetAcl(acl, "u:1234:rw-,g:5678:r--", TestPosix.AclXattr((1, 6, uint.MaxValue), (2, 6, 1234), (4, 4, uint.MaxValue), (8, 4, 5678), (16, 6, uint.MaxValue), (32, 4, uint.MaxValue)));
        var aclFolder = Directory.CreateDirectory(Path.Combine(root, "acl folder")).FullName;
        SetAcl(aclFolder, "d:u:1234:rwx", null);

        var modes = Directory.CreateDirectory(Path.Combine(root, "modes")).FullName;
        WriteWithMode(Path.Combine(modes, "setuid"), UnixFileMode.SetUser | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        WriteWithMode(Path.Combine(modes, "setgid"), UnixFileMode.SetGroup | UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupExecute);
        WriteWithMode(Path.Combine(modes, "private"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var sticky = Directory.CreateDirectory(Path.Combine(modes, "sticky")).FullName;
        File.SetUnixFileMode(sticky, UnixFileMode.StickyBit | (UnixFileMode)0x1FF);
        var readOnly = Directory.CreateDirectory(Path.Combine(modes, "read-only folder")).FullName;
        File.WriteAllText(Path.Combine(readOnly, "inside.txt"), "in a folder nobody may write to");
        File.SetUnixFileMode(readOnly, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);

        var owned = Directory.CreateDirectory(Path.Combine(root, "owned")).FullName;
        File.WriteAllText(Path.Combine(owned, "file"), "owned by someone else");
        File.CreateSymbolicLink(Path.Combine(owned, "link"), "file");
        Directory.CreateDirectory(Path.Combine(owned, "folder"));
        TestPosix.Lchown(Path.Combine(owned, "file"), 1234, 5678);
        TestPosix.Lchown(Path.Combine(owned, "link"), 1234, 5678);
        TestPosix.Lchown(Path.Combine(owned, "folder"), 1234, 5678);

        TestPosix.MakeFifo(Path.Combine(root, "a fifo"));
        MakeLongPath(root, "deep");
    }

    /// <summary>A chain of folders under <paramref name="root"/>/<paramref name="top"/> whose full path is over 4096 characters, with a file at the end.</summary>
    public static string MakeLongPath(string root, string top)
    {
        var relative = top;
        Directory.CreateDirectory(Path.Combine(root, top));
        var fd = TestPosix.OpenDirectory(Path.Combine(root, top));
        for (var i = 0; i < 22; i++)
        {
            var name = $"{i:D2}-" + new string('x', 200);
            Directory.CreateDirectory(TestPosix.At(fd, name));
            var child = TestPosix.OpenDirectory(TestPosix.At(fd, name));
            TestPosix.CloseFd(fd);
            fd = child;
            relative += "/" + name;
        }

        File.WriteAllText(TestPosix.At(fd, "far away.txt"), "at the end of a very long path");
        TestPosix.CloseFd(fd);
        relative += "/far away.txt";
        Assert.True(Path.Combine(root, relative).Length > 4096);
        return relative;
    }

    /// <summary>A 32 MiB file with 4 KiB of data at its start and 8 KiB in its middle; the rest are holes.</summary>
    public static void MakeSparseFile(string path)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        file.SetLength(SparseLength);
        file.Write(RandomBytes(4096, seed: 2));
        file.Position = 16L << 20;
        file.Write(RandomBytes(8192, seed: 3));
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static void WriteWithMode(string path, UnixFileMode mode)
    {
        File.WriteAllText(path, "#!/bin/sh\n");
        File.SetUnixFileMode(path, mode);
    }

    /// <summary>Sets an ACL with setfacl, or (where the acl package is missing) writes the xattr setfacl would write.</summary>
    private static void SetAcl(string path, string spec, byte[]? fallback)
    {
        if (Shell.Exists("setfacl"))
        {
            Shell.Run("setfacl", "-m", spec, path);
        }
        else if (fallback is not null)
        {
            TestPosix.SetXattr(path, "system.posix_acl_access", fallback);
        }
        else
        {
            TestPosix.SetXattr(path, "system.posix_acl_default", TestPosix.AclXattr((1, 7, uint.MaxValue), (2, 7, 1234), (4, 5, uint.MaxValue), (16, 7, uint.MaxValue), (32, 5, uint.MaxValue)));
        }
    }
}
