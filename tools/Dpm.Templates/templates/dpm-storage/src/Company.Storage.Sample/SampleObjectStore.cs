using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Dpm.Contracts;
using Dpm.Contracts.Storage;
using Dpm.Contracts.Spi;

namespace Company.Storage.Sample;

/// <summary>
/// Objects as files below a folder. A put writes a file in <c>.incoming/</c>, flushes it to the disk and then links it
/// under its name only if that name is free, so readers see a whole object or none, the first object of a name is
/// kept, and of two writers of one name exactly one wins.
/// </summary>
internal sealed partial class SampleObjectStore : IObjectStore
{
    private const string Incoming = ".incoming";
    private readonly string _root;

    public SampleObjectStore(string root)
    {
        _root = root;
        Directory.CreateDirectory(Path.Combine(root, Incoming));
    }

    public string Location => "sample:" + _root;

    public async ValueTask<PutOutcome> PutAsync(string name, Stream content, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PathOf(name);
        if (File.Exists(path))
        {
            return PutOutcome.AlreadyExists;
        }

        var incoming = Path.Combine(_root, Incoming, Guid.NewGuid().ToString("N"));
        try
        {
            await using (var file = new FileStream(incoming, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                var buffer = new byte[1 << 16];
                long done = 0;
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    done += read;
                    progress?.Report(new ProgressReport(done));
                }

                file.Flush(flushToDisk: true);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            try
            {
                // Without overwrite, a move on Linux links the file under the new name, which fails if the name exists.
                File.Move(incoming, path, overwrite: false);
                return PutOutcome.Stored;
            }
            catch (IOException) when (File.Exists(path))
            {
                return PutOutcome.AlreadyExists; // another writer's object of that name came first
            }
        }
        finally
        {
            File.Delete(incoming);
        }
    }

    public ValueTask<Stream?> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<Stream?>(Open(PathOf(name)));
    }

    public async ValueTask<Stream?> OpenReadAsync(string name, ByteRange range, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(range.Offset);
        ArgumentOutOfRangeException.ThrowIfNegative(range.Length);
        await using var file = Open(PathOf(name));
        if (file is null)
        {
            return null;
        }

        // The pool reads ranges the size of a chunk, so the range is read into memory and the file closed at once.
        var length = (int)Math.Clamp(file.Length - range.Offset, 0, Math.Min(range.Length, Array.MaxLength));
        var data = new byte[length];
        file.Position = Math.Min(range.Offset, file.Length);
        await file.ReadExactlyAsync(data, cancellationToken);
        return new MemoryStream(data, writable: false);
    }

    public ValueTask<bool> ExistsAsync(string name, CancellationToken cancellationToken) => ValueTask.FromResult(File.Exists(PathOf(name)));

    public ValueTask<StoredObject?> GetInfoAsync(string name, CancellationToken cancellationToken)
    {
        var file = new FileInfo(PathOf(name));
        return ValueTask.FromResult(file.Exists ? new StoredObject(name, file.Length, file.LastWriteTimeUtc) : null);
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        await Task.Yield();
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
        var incoming = Path.Combine(_root, Incoming) + Path.DirectorySeparatorChar;
        foreach (var file in new DirectoryInfo(_root).EnumerateFiles("*", options).Where(f => !f.FullName.StartsWith(incoming, StringComparison.Ordinal)).OrderBy(f => f.FullName, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Path.GetRelativePath(_root, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return new StoredObject(name, file.Length, file.LastWriteTimeUtc);
            }
        }
    }

    public ValueTask<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        if (!File.Exists(path))
        {
            return ValueTask.FromResult(false);
        }

        File.Delete(path);
        return ValueTask.FromResult(true);
    }

    public ValueTask<StorageSpace> GetSpaceAsync(CancellationToken cancellationToken)
    {
        var drive = new DriveInfo(_root);
        return ValueTask.FromResult(new StorageSpace(drive.TotalSize, drive.AvailableFreeSpace));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private string PathOf(string name)
    {
        // Names are '/'-separated paths of letters, digits, '-', '_' and '.': anything else (a '..', an absolute path)
        // is refused before it touches the disk.
        if (string.IsNullOrEmpty(name) || !ObjectName().IsMatch(name) || name.Split('/').Any(part => part is "." or ".." || part.StartsWith(Incoming, StringComparison.Ordinal)))
        {
            throw new ArgumentException($"'{name}' is not an object name: '/'-separated letters, digits, '-', '_' and '.'", nameof(name));
        }

        return Path.Combine(_root, name);
    }

    private static FileStream? Open(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")]
    private static partial Regex ObjectName();
}
