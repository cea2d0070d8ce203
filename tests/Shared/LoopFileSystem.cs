using System.Diagnostics;

namespace Dpm.Tests;

/// <summary>
/// A real, small file system (ext4 unless told otherwise): an image file made with mkfs and loop-mounted on a
/// temporary folder (needs root). Unmounted, detached and removed on dispose.
/// </summary>
public sealed class LoopFileSystem : IDisposable
{
    private readonly string _folder;
    private readonly string _image;

    private LoopFileSystem(string folder, string image, string mountPoint)
    {
        _folder = folder;
        _image = image;
        MountPoint = mountPoint;
    }

    public string MountPoint { get; }

    public static LoopFileSystem Create(long sizeBytes = 32L * 1024 * 1024, bool readOnly = false, string type = "ext4")
    {
        var folder = Directory.CreateTempSubdirectory("dpm-loop-").FullName;
        var image = Path.Combine(folder, "disk.img");
        var mountPoint = Path.Combine(folder, "mnt");
        using (var file = File.Create(image))
        {
            file.SetLength(sizeBytes);
        }

        Directory.CreateDirectory(mountPoint);
        var mkfs = type == "btrfs" ? Run("mkfs.btrfs", "-q", "-f", image) : Run("mkfs." + type, "-q", "-F", image);
        if (mkfs.ExitCode != 0)
        {
            Directory.Delete(folder, recursive: true);
            throw new InvalidOperationException($"mkfs.{type} failed ({mkfs.ExitCode}): {mkfs.Output}");
        }

        var mount = Run("mount", "-o", readOnly ? "loop,ro" : "loop", image, mountPoint);
        if (mount.ExitCode != 0)
        {
            Detach(image);
            Directory.Delete(folder, recursive: true);
            throw new MountFailedException($"mount -o loop failed ({mount.ExitCode}): {mount.Output}", mount.Output);
        }

        return new LoopFileSystem(folder, image, mountPoint);
    }

    public void Dispose()
    {
        if (Run("umount", MountPoint).ExitCode != 0)
        {
            Run("umount", "-l", MountPoint); // something still holds it: detach lazily rather than leave it
        }

        Detach(_image);
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>Detaches any loop device still backed by the image (mount -o loop normally does it on umount).</summary>
    private static void Detach(string image)
    {
        var devices = Run("losetup", "-j", image).Output;
        foreach (var line in devices.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var device = line.Split(':')[0];
            if (device.StartsWith("/dev/loop", StringComparison.Ordinal))
            {
                Run("losetup", "-d", device);
            }
        }
    }

    public static (int ExitCode, string Output) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
            {
                process.Kill();
                return (-1, $"{program} did not finish within a minute");
            }

            return (process.ExitCode, (output.Result + error).Trim());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"{program} can't be run: {e.Message}");
        }
    }
}

public sealed class MountFailedException(string message, string output) : Exception(message)
{
    /// <summary>What mount said.</summary>
    public string Output { get; } = output;
}

/// <summary>
/// A test that needs a loop-mounted file system. It is skipped only when this machine has no loop device support
/// (found by really trying a mount once); any other failure to mount fails the test with the reason.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LoopMountFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> NoLoopSupport = new(Probe);

    public LoopMountFactAttribute()
    {
        if (NoLoopSupport.Value is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? Probe()
    {
        try
        {
            LoopFileSystem.Create(8L * 1024 * 1024).Dispose();
            return null;
        }
        catch (MountFailedException e) when (!File.Exists("/dev/loop-control") || e.Output.Contains("loop", StringComparison.OrdinalIgnoreCase))
        {
            return $"this machine has no loop device support, so the real disk-full tests can't run: {e.Message}";
        }
        catch (Exception e) when (e is MountFailedException or InvalidOperationException)
        {
            return null; // not a lack of loop support: let the test run and fail with the reason
        }
    }
}
