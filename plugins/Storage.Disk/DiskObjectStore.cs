using System.Buffers;
using System.IO.Enumeration;
using System.Runtime.CompilerServices;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Dpm.Storage.Disk;

/// <summary>
/// An object store in a folder: object "data/ab/cdef" is the file "&lt;pool&gt;/data/ab/cdef". A put writes a temp file
/// beside its target, flushes it to disk and links it into place in one step that fails if the name exists, so
/// readers see a whole object or none and of two writers of one name exactly one wins.
/// </summary>
internal sealed class DiskObjectStore : IObjectStore
{
    /// <summary>'~' is never in an object name, so a temp file can't be mistaken for (or collide with) an object.</summary>
    private const string TempPrefix = ".tmp~";
    private const int CopyBufferSize = 1024 * 1024;

    /// <summary>Objects at least this large and of known length (packs) are written with O_DIRECT.</summary>
    private const long DirectWriteThreshold = 1024 * 1024;

    private readonly string _root;
    private readonly string _rootPrefix;
    private readonly long _reserveBytes;
    private readonly ILogger _logger;

    private DiskObjectStore(string root, long reserveBytes, ILogger logger)
    {
        _root = root;
        _rootPrefix = root.EndsWith('/') ? root : root + "/";
        _reserveBytes = reserveBytes;
        _logger = logger;
    }

    public string Location => "disk:" + _root;

    /// <summary>Opens the store, creating its folder when needed; fails with a clear message when it can't be used.</summary>
    public static DiskObjectStore Open(DiskStoreOptions options, ILogger logger)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Path));
        if (File.Exists(root))
        {
            throw new IOException($"the storage pool folder '{root}' is a file, not a folder");
        }

        try
        {
            Directory.CreateDirectory(root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"can't create the storage pool folder '{root}': {e.Message}", e);
        }

        var probe = Path.Combine(root, TempPrefix + "probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"the storage pool folder '{root}' is not writable: {e.Message}", e);
        }

        var store = new DiskObjectStore(root, options.ReserveBytes, logger);
        var mountPoint = MountPointOf(root);
        DiskStoreLog.Opened(logger, root, mountPoint, options.ReserveBytes);
        return store;
    }

    public async ValueTask<PutOutcome> PutAsync(string name, Stream content, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        ArgumentNullException.ThrowIfNull(content);
        cancellationToken.ThrowIfCancellationRequested();
        if (File.Exists(path))
        {
            return PutOutcome.AlreadyExists; // the common case, answered without writing; the link below decides races
        }

        long? length = content.CanSeek ? Math.Max(0, content.Length - content.Position) : null;
        EnsureSpace(name, length);

        var folder = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(folder, TempPrefix + Guid.NewGuid().ToString("N"));
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            CreateFolders(name, folder);
            var direct = length >= DirectWriteThreshold
                && await DirectWrite.TryWriteAsync(temp, content, written => progress?.Report(new ProgressReport(written, length)), cancellationToken);
            if (!direct)
            {
                await using var file = new FileStream(temp, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    Share = FileShare.None,
                    BufferSize = 0, // we write in large blocks already
                });
                long written = 0;
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    written += read;
                    progress?.Report(new ProgressReport(written, length));
                }

                cancellationToken.ThrowIfCancellationRequested();
                file.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();

            // the commit: from here on the object is visible and whole, so cancellation is no longer honoured
            if (!Native.TryLinkNoReplace(temp, path))
            {
                return Directory.Exists(path)
                    ? throw new IOException($"can't store '{name}': it is a folder of other objects")
                    : PutOutcome.AlreadyExists;
            }

            TryDelete(temp);
            Native.FsyncDirectory(folder);
            return PutOutcome.Stored;
        }
        catch (IOException e) when (e.HResult is Native.ENOSPC or Native.EDQUOT)
        {
            DiskStoreLog.DiskFull(_logger, _root, name);
            var what = e.HResult == Native.EDQUOT ? $"the disk quota on {_root} is used up" : $"the disk holding {_root} is full";
            throw new IOException($"{what}{MountNote()}: '{name}' was not stored (nothing was left behind)", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            TryDelete(temp);
        }
    }

    public ValueTask<Stream?> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        cancellationToken.ThrowIfCancellationRequested();
        var handle = OpenHandle(path, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return ValueTask.FromResult<Stream?>(handle is null ? null : new FileStream(handle, FileAccess.Read, bufferSize: 64 * 1024, isAsync: true));
    }

    public ValueTask<Stream?> OpenReadAsync(string name, ByteRange range, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        ArgumentOutOfRangeException.ThrowIfNegative(range.Offset, nameof(range));
        ArgumentOutOfRangeException.ThrowIfNegative(range.Length, nameof(range));
        cancellationToken.ThrowIfCancellationRequested();
        var handle = OpenHandle(path, FileOptions.None); // random access: no read-ahead beyond the range
        if (handle is null)
        {
            return ValueTask.FromResult<Stream?>(null);
        }

        try
        {
            var size = RandomAccess.GetLength(handle);
            var start = Math.Min(range.Offset, size);
            var length = Math.Min(range.Length, size - start);
            return ValueTask.FromResult<Stream?>(new FileRangeStream(handle, start, length));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public ValueTask<bool> ExistsAsync(string name, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(File.Exists(path));
    }

    public ValueTask<StoredObject?> GetInfoAsync(string name, CancellationToken cancellationToken)
    {
        var info = new FileInfo(PathOf(name));
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(info.Exists ? new StoredObject(name, info.Length, new DateTimeOffset(info.LastWriteTimeUtc)) : null);
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectNames.ValidatePrefix(prefix);
        await Task.Yield(); // the folder reads below are synchronous: keep them off the caller's thread

        // walk depth first from the deepest folder the prefix names, folder by folder in ordinal order
        var slash = prefix.LastIndexOf('/');
        var pending = new Stack<string>();
        pending.Push(slash < 0 ? "" : prefix[..(slash + 1)]);
        while (pending.TryPop(out var folder))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entries = ReadFolder(folder.Length == 0 ? _root : Path.Join(_root, folder));
            foreach (var entry in entries)
            {
                var name = folder + entry.Name;
                if (!entry.IsFolder && name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    yield return new StoredObject(name, entry.Length, entry.LastModified);
                }
            }

            for (var i = entries.Count - 1; i >= 0; i--)
            {
                var sub = folder + entries[i].Name + "/";
                if (entries[i].IsFolder && (sub.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(sub, StringComparison.Ordinal)))
                {
                    pending.Push(sub);
                }
            }
        }
    }

    public ValueTask<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        cancellationToken.ThrowIfCancellationRequested();
        var errno = Native.Unlink(path);
        if (errno is Native.ENOENT or Native.ENOTDIR or Native.EISDIR)
        {
            return ValueTask.FromResult(false);
        }

        if (errno != 0)
        {
            throw Native.Failure(errno, $"can't delete '{name}' from {_root}");
        }

        Native.FsyncDirectory(Path.GetDirectoryName(path)!);
        return ValueTask.FromResult(true);
    }

    public ValueTask<StorageSpace> GetSpaceAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var drive = new DriveInfo(_root);
        return ValueTask.FromResult(new StorageSpace(drive.TotalSize, drive.AvailableFreeSpace));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The file of an object; the name is checked so that the path can only be inside the pool folder.</summary>
    private string PathOf(string name)
    {
        ObjectNames.Validate(name);
        var path = Path.Join(_root, name);
        return path.StartsWith(_rootPrefix, StringComparison.Ordinal)
            ? path
            : throw new ArgumentException($"'{name}' is not a valid object name: it leads outside the store.", nameof(name));
    }

    /// <summary>
    /// Refuses a put that would leave less than the reserve free: one of known size up front, one of unknown size
    /// when the free space is already inside the reserve.
    /// </summary>
    private void EnsureSpace(string name, long? needBytes)
    {
        var free = new DriveInfo(_root).AvailableFreeSpace;
        if ((needBytes ?? 0) > free - _reserveBytes)
        {
            DiskStoreLog.NotEnoughSpace(_logger, _root, name, needBytes ?? 0, free, _reserveBytes);
            var need = needBytes is { } n ? $"{n} bytes" : "an unknown number of bytes";
            throw new IOException(
                $"not enough space on {_root}{MountNote()}: need {need}, {free} free (reserve {_reserveBytes}); '{name}' was not stored");
        }
    }

    /// <summary>Creates the folders of an object, making each new folder entry durable in its parent.</summary>
    private void CreateFolders(string name, string folder)
    {
        if (Directory.Exists(folder))
        {
            return;
        }

        if (File.Exists(folder))
        {
            throw new IOException($"can't store '{name}': '{folder[_rootPrefix.Length..]}' is an object, so it can't be a folder of objects too");
        }

        var parent = Path.GetDirectoryName(folder)!;
        CreateFolders(name, parent);
        Directory.CreateDirectory(folder);
        Native.FsyncDirectory(parent);
    }

    private static SafeFileHandle? OpenHandle(string path, FileOptions options)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, options);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(path))
        {
            return null; // a folder of objects, not an object
        }
    }

    /// <summary>The entries of one folder that can be objects or folders of objects, in ordinal order.</summary>
    private static List<FolderEntry> ReadFolder(string path)
    {
        List<FolderEntry> entries;
        try
        {
            entries =
            [
                .. new FileSystemEnumerable<FolderEntry>(
                    path,
                    (ref FileSystemEntry e) => new FolderEntry(e.FileName.ToString(), e.IsDirectory, e.Length, e.LastWriteTimeUtc),
                    new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false })
                {
                    ShouldIncludePredicate = (ref FileSystemEntry e) => ObjectNames.IsValidSegment(e.FileName),
                },
            ];
        }
        catch (DirectoryNotFoundException)
        {
            return []; // the prefix names no folder, or it went away
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return entries;
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            DiskStoreLog.TempFileLeft(_logger, path, e.Message);
        }
    }

    private string MountNote()
    {
        var mount = MountPointOf(_root);
        return mount == _root ? "" : $" (file system mounted at {mount})";
    }

    private static string MountPointOf(string path)
    {
        try
        {
            return DriveInfo.GetDrives()
                .Select(d => Path.TrimEndingDirectorySeparator(d.Name))
                .Where(m => m == "/" || path == m || path.StartsWith(m + "/", StringComparison.Ordinal))
                .MaxBy(m => m.Length) ?? path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return path;
        }
    }

    private readonly record struct FolderEntry(string Name, bool IsFolder, long Length, DateTimeOffset LastModified);
}
