using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Dpm.Contracts;
using Dpm.Contracts.Workloads;
using Dpm.Workloads.Files.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Dpm.Workloads.Files.Recovery;

/// <summary>One item to recover, or a request that already failed (an item the recovery point doesn't have).</summary>
/// <param name="Item">The item from the recovery source.</param>
/// <param name="AncestorOnly">A folder recovered only because a chosen item lies below it: created when missing, left alone when present.</param>
/// <param name="FailedPath">For a failed request: the path asked for.</param>
/// <param name="Failure">For a failed request: why.</param>
internal sealed record RecoveryWork(ProtectedItem? Item, bool AncestorOnly = false, string? FailedPath = null, string? Failure = null);

/// <summary>
/// One recovery into one target folder. Items are written through <see cref="TargetTree"/> (never through a
/// link), each new file or link first under a temporary name beside its place and then renamed into it, so
/// an existing item is replaced atomically or not at all. Folder metadata is applied last, deepest first, so
/// that their times and modes stick.
/// </summary>
internal sealed class RecoveryRun : IDisposable
{
    private const uint NewFolderMode = 0x1C0; // 0700 until the folder's own metadata is applied
    private const uint NewFileMode = 0x180; // 0600 until the file's own metadata is applied
    private readonly IRecoverySource _source;
    private readonly TargetTree _tree;
    private readonly ExistingItemBehaviour _existing;
    private readonly bool _applyRootMetadata;
    private readonly IProgress<ProgressReport>? _progress;
    private readonly ILogger _logger;
    private readonly MetadataWriter _metadata;
    private readonly string _keepBothSuffix;
    private readonly List<ItemFailure> _failures = [];
    private readonly Dictionary<string, bool> _done = new(StringComparer.Ordinal); // path -> seen only as a folder on the way
    private readonly Dictionary<string, string> _renamedFolders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _blockedFolders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _hardLinks = new(StringComparer.Ordinal);
    private readonly List<(string[] DiskPath, ProtectedItem Item, bool Created)> _folders = [];
    private long _recovered;
    private long _skipped;
    private long _bytes;
    private long _itemsDone;

    public RecoveryRun(IRecoverySource source, TargetTree tree, RecoveryOptions options, bool applyRootMetadata, IProgress<ProgressReport>? progress, ILogger logger)
    {
        _source = source;
        _tree = tree;
        _existing = options.ExistingItems;
        _applyRootMetadata = applyRootMetadata;
        _progress = progress;
        _logger = logger;
        _metadata = new MetadataWriter(options.RestoreSecurity);
        _keepBothSuffix = $" (recovered {source.RecoveryPoint.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HHmmss", CultureInfo.InvariantCulture)})";
    }

    public async Task<RecoveryResult> RunAsync(IAsyncEnumerable<RecoveryWork> work, CancellationToken cancellationToken)
    {
        await foreach (var next in work.WithCancellation(cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (next.Item is null)
            {
                Fail(next.FailedPath ?? "", next.Failure ?? "not recovered");
            }
            else if (FirstTime(next))
            {
                try
                {
                    await RecoverAsync(next.Item, next.AncestorOnly, cancellationToken);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException)
                {
                    Fail(next.Item.Path, ex.Message);
                }
            }

            _itemsDone++;
            _progress?.Report(new ProgressReport(_bytes, ItemsDone: _itemsDone, CurrentItem: next.Item?.Path ?? next.FailedPath));
        }

        ApplyFolderMetadata(cancellationToken);
        var outcome = _failures.Count == 0 ? RecoveryOutcome.Succeeded
            : _recovered > 0 || _skipped > 0 ? RecoveryOutcome.PartiallySucceeded
            : RecoveryOutcome.Failed;
        FilesLog.Recovered(_logger, _tree.Path, _recovered, _skipped, _failures.Count, _bytes);
        return new RecoveryResult
        {
            Outcome = outcome,
            ItemsRecovered = _recovered,
            ItemsSkipped = _skipped,
            BytesRecovered = _bytes,
            Failures = [.. _failures],
            RecoveredTo = _tree.Path,
        };
    }

    public void Dispose() => _tree.Dispose();

    /// <summary>
    /// Whether an item is new to this run. A path comes again when chosen items overlap; a folder first
    /// met on the way to a chosen item is done again when it is itself chosen, so its metadata is restored.
    /// </summary>
    private bool FirstTime(RecoveryWork work)
    {
        var path = work.Item!.Path;
        if (_done.TryGetValue(path, out var onTheWay) && !(onTheWay && !work.AncestorOnly))
        {
            return false;
        }

        _done[path] = work.AncestorOnly;
        return true;
    }

    private async Task RecoverAsync(ProtectedItem item, bool ancestorOnly, CancellationToken cancellationToken)
    {
        if (!ItemPaths.TrySplit(item.Path, out var segments, out var error))
        {
            Fail(item.Path, error);
            return;
        }

        for (var i = segments.Length - 1; i > 0; i--)
        {
            if (_blockedFolders.TryGetValue(ItemPaths.Join(segments.Take(i)), out var skipped))
            {
                if (skipped)
                {
                    _skipped++;
                }
                else
                {
                    Fail(item.Path, $"its folder '{ItemPaths.Printable(ItemPaths.Join(segments.Take(i)))}' was not recovered");
                }

                return;
            }
        }

        if (segments.Length == 0)
        {
            RecoverRoot(item, ancestorOnly);
            return;
        }

        var disk = MapToDisk(segments);
        var parent = _tree.Enter(disk[..^1], out error);
        if (parent is null)
        {
            Fail(item.Path, error);
            return;
        }

        switch (item.Kind)
        {
            case ProtectedItemKind.Directory:
                RecoverFolder(item, disk, parent, ancestorOnly);
                break;
            case ProtectedItemKind.File or ProtectedItemKind.Log:
                await RecoverFileAsync(item, disk, parent, cancellationToken);
                break;
            case ProtectedItemKind.SymbolicLink:
                RecoverLink(item, disk, parent);
                break;
            default:
                Fail(item.Path, $"an item of kind {item.Kind} can't be recovered by the File workload");
                break;
        }
    }

    private void RecoverRoot(ProtectedItem item, bool ancestorOnly)
    {
        if (item.Kind != ProtectedItemKind.Directory)
        {
            Fail(item.Path, "the data source root must be a folder");
        }
        else if (ancestorOnly || !_applyRootMetadata)
        {
            // the target folder itself is the operator's: its metadata stays
        }
        else if (_existing == ExistingItemBehaviour.Overwrite)
        {
            _folders.Add(([], item, false));
            _recovered++;
        }
        else
        {
            _skipped++;
        }
    }

    private void RecoverFolder(ProtectedItem item, string[] disk, SafeFileHandle parent, bool ancestorOnly)
    {
        var name = disk[^1];
        if (!Posix.TryStat(parent, name, out var existing, out var errno))
        {
            if (errno != NativeMethods.ENoEnt)
            {
                FailFolder(item, $"can't inspect it in the target: {Posix.Describe(errno)}");
            }
            else if (MakeFolder(parent, name, item))
            {
                _folders.Add((disk, item, true));
                _recovered++;
            }

            return;
        }

        if (existing.IsDirectory)
        {
            if (ancestorOnly)
            {
                return;
            }

            if (_existing == ExistingItemBehaviour.Overwrite)
            {
                _folders.Add((disk, item, false));
                _recovered++;
            }
            else
            {
                _skipped++; // Skip leaves it; KeepBoth recovers its contents into it, beside what is there
            }

            return;
        }

        switch (_existing)
        {
            case ExistingItemBehaviour.Skip:
                _blockedFolders[item.Path] = true;
                _skipped++;
                break;
            case ExistingItemBehaviour.KeepBoth:
                foreach (var candidate in AlternateNames(name))
                {
                    if (NativeMethods.MkdirAt(Posix.Fd(parent), candidate, NewFolderMode) == 0)
                    {
                        string[] renamed = [.. disk[..^1], candidate];
                        _renamedFolders[item.Path] = ItemPaths.Join(renamed);
                        _folders.Add((renamed, item, true));
                        _recovered++;
                        return;
                    }

                    if (Marshal.GetLastPInvokeError() != NativeMethods.EExist)
                    {
                        break;
                    }
                }

                FailFolder(item, "no free name beside the existing item");
                break;
            default:
                // Overwrite: the file or link that holds the folder's place goes (never a folder, never recursively).
                if (NativeMethods.UnlinkAt(Posix.Fd(parent), name, 0) != 0)
                {
                    FailFolder(item, $"can't remove the item in its place: {LastError()}");
                }
                else if (MakeFolder(parent, name, item))
                {
                    _folders.Add((disk, item, true));
                    _recovered++;
                }

                break;
        }
    }

    private bool MakeFolder(SafeFileHandle parent, string name, ProtectedItem item)
    {
        if (NativeMethods.MkdirAt(Posix.Fd(parent), name, NewFolderMode) == 0)
        {
            return true;
        }

        FailFolder(item, $"can't create it: {LastError()}");
        return false;
    }

    private async Task RecoverFileAsync(ProtectedItem item, string[] disk, SafeFileHandle parent, CancellationToken cancellationToken)
    {
        var name = disk[^1];
        if (!CheckPlace(item, parent, name))
        {
            return;
        }

        var temporary = TemporaryName();
        var key = item.Metadata?.HardLinkKey;
        var linked = key is not null && _hardLinks.TryGetValue(key, out var first) && TryLink(first, parent, temporary);
        if (!linked)
        {
            await using var data = await _source.OpenItemAsync(item.Path, cancellationToken);
            if (data is null)
            {
                Fail(item.Path, "the recovery point holds no data for it");
                return;
            }

            using var file = Posix.TryOpen(
                parent,
                temporary,
                NativeMethods.OWrOnly | NativeMethods.OCreat | NativeMethods.OExcl | NativeMethods.ONoFollow,
                NewFileMode,
                out var errno);
            if (file is null)
            {
                Fail(item.Path, $"can't create it in the target: {Posix.Describe(errno)}");
                return;
            }

            var problems = new List<string>();
            try
            {
                var (length, written) = await ItemDataWriter.CopyAsync(data, file, item, cancellationToken);
                if (length != item.Length)
                {
                    Remove(parent, temporary);
                    Fail(item.Path, $"the recovery point holds {length} bytes for it, but its recorded length is {item.Length}");
                    return;
                }

                _bytes += written;
                problems = _metadata.Apply(file, item, isFolder: false);
            }
            catch
            {
                Remove(parent, temporary);
                throw;
            }

            ReportMetadataProblems(item, problems);
        }

        var placed = Place(item, parent, temporary, name);
        if (placed is not null)
        {
            _recovered++;
            if (key is not null)
            {
                _hardLinks.TryAdd(key, ItemPaths.Join([.. disk[..^1], placed]));
            }
        }
    }

    private void RecoverLink(ProtectedItem item, string[] disk, SafeFileHandle parent)
    {
        var target = item.Metadata?.LinkTarget;
        if (string.IsNullOrEmpty(target) || target.Contains('\0', StringComparison.Ordinal))
        {
            Fail(item.Path, "the recovery point records no usable target for this link");
            return;
        }

        var name = disk[^1];
        if (!CheckPlace(item, parent, name))
        {
            return;
        }

        var temporary = TemporaryName();
        if (NativeMethods.SymlinkAt(target, Posix.Fd(parent), temporary) != 0)
        {
            Fail(item.Path, $"can't create the link: {LastError()}");
            return;
        }

        ReportMetadataProblems(item, _metadata.ApplyToLink(parent, temporary, item));
        if (Place(item, parent, temporary, name) is not null)
        {
            _recovered++;
        }
    }

    /// <summary>Whether a file or link may be recovered at <paramref name="name"/>, given what is there.</summary>
    private bool CheckPlace(ProtectedItem item, SafeFileHandle parent, string name)
    {
        if (!Posix.TryStat(parent, name, out var existing, out var errno))
        {
            if (errno == NativeMethods.ENoEnt)
            {
                return true;
            }

            Fail(item.Path, $"can't inspect it in the target: {Posix.Describe(errno)}");
            return false;
        }

        switch (_existing)
        {
            case ExistingItemBehaviour.Skip:
                _skipped++;
                return false;
            case ExistingItemBehaviour.Overwrite when existing.IsDirectory:
                Fail(item.Path, "a folder of that name exists in the target; a folder is never replaced by a file or link");
                return false;
            default:
                return true;
        }
    }

    /// <summary>
    /// Moves the temporary item to its place: over the existing one (Overwrite), only if the place is free
    /// (Skip), or to the first free alternate name (KeepBoth). Returns the name used, or null.
    /// </summary>
    private string? Place(ProtectedItem item, SafeFileHandle parent, string temporary, string name)
    {
        if (_existing == ExistingItemBehaviour.Overwrite)
        {
            if (Posix.TryStat(parent, name, out var existing, out _) && existing.IsDirectory)
            {
                Remove(parent, temporary);
                Fail(item.Path, "a folder of that name exists in the target; a folder is never replaced by a file or link");
                return null;
            }

            if (NativeMethods.RenameAt2(Posix.Fd(parent), temporary, Posix.Fd(parent), name, 0) == 0)
            {
                return name;
            }

            var error = LastError();
            Remove(parent, temporary);
            Fail(item.Path, $"can't move it into place: {error}");
            return null;
        }

        foreach (var candidate in _existing == ExistingItemBehaviour.KeepBoth ? AlternateNames(name) : [name])
        {
            var errno = RenameNoReplace(parent, temporary, candidate);
            if (errno == 0)
            {
                return candidate;
            }

            if (errno != NativeMethods.EExist)
            {
                Remove(parent, temporary);
                Fail(item.Path, $"can't move it into place: {Posix.Describe(errno)}");
                return null;
            }
        }

        Remove(parent, temporary);
        if (_existing == ExistingItemBehaviour.Skip)
        {
            _skipped++; // appeared while it was being written
        }
        else
        {
            Fail(item.Path, "no free name beside the existing item");
        }

        return null;
    }

    /// <summary>Renames without replacing; where the file system lacks RENAME_NOREPLACE, links and unlinks (also atomic).</summary>
    private static int RenameNoReplace(SafeFileHandle parent, string from, string to)
    {
        var fd = Posix.Fd(parent);
        if (NativeMethods.RenameAt2(fd, from, fd, to, NativeMethods.RenameNoReplace) == 0)
        {
            return 0;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno != NativeMethods.EInval)
        {
            return errno;
        }

        if (NativeMethods.LinkAt(fd, from, fd, to, 0) != 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        NativeMethods.UnlinkAt(fd, from, 0);
        return 0;
    }

    /// <summary>"name (recovered 2025-01-31 235959).ext", then with " 2", " 3"... before the extension.</summary>
    private IEnumerable<string> AlternateNames(string name)
    {
        yield return name;
        var dot = name.LastIndexOf('.');
        var (stem, extension) = dot > 0 && name.Length - dot <= 10 ? (name[..dot], name[dot..]) : (name, "");
        for (var i = 1; i <= 100; i++)
        {
            var suffix = i == 1 ? _keepBothSuffix : _keepBothSuffix[..^1] + " " + i.ToString(CultureInfo.InvariantCulture) + ")";
            var room = 255 - Encoding.UTF8.GetByteCount(suffix + extension);
            var trimmed = stem;
            while (trimmed.Length > 0 && Encoding.UTF8.GetByteCount(trimmed) > room)
            {
                trimmed = trimmed[..^(char.IsLowSurrogate(trimmed[^1]) && trimmed.Length > 1 ? 2 : 1)];
            }

            yield return trimmed + suffix + extension;
        }
    }

    private bool TryLink(string firstDiskPath, SafeFileHandle parent, string temporary)
    {
        var first = firstDiskPath.Split('/');
        using var firstParent = _tree.OpenExisting(first[..^1], out _);
        return firstParent is not null && NativeMethods.LinkAt(Posix.Fd(firstParent), first[^1], Posix.Fd(parent), temporary, 0) == 0;
    }

    /// <summary>Maps an item path to where it goes on disk, following the folders KeepBoth recovered under another name.</summary>
    private string[] MapToDisk(string[] segments)
    {
        for (var i = segments.Length - 1; i > 0; i--)
        {
            if (_renamedFolders.TryGetValue(ItemPaths.Join(segments.Take(i)), out var renamed))
            {
                return [.. renamed.Split('/'), .. segments[i..]];
            }
        }

        return segments;
    }

    private void ApplyFolderMetadata(CancellationToken cancellationToken)
    {
        foreach (var (disk, item, created) in _folders.OrderByDescending(f => f.DiskPath.Length))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var folder = _tree.OpenExisting(disk, out var error);
            if (folder is null)
            {
                Fail(item.Path, $"its metadata was not restored: {error}");
                continue;
            }

            ReportMetadataProblems(item, _metadata.Apply(folder, item, isFolder: true, created));
        }
    }

    private void ReportMetadataProblems(ProtectedItem item, List<string> problems)
    {
        if (problems.Count > 0)
        {
            Fail(item.Path, "recovered, but " + string.Join("; ", problems));
        }
    }

    private void FailFolder(ProtectedItem item, string reason)
    {
        _blockedFolders[item.Path] = false;
        Fail(item.Path, reason);
    }

    private void Fail(string path, string reason)
    {
        _failures.Add(new ItemFailure(path, reason));
        FilesLog.ItemFailed(_logger, new LogPath(path), reason);
    }

    private static void Remove(SafeFileHandle parent, string name) => NativeMethods.UnlinkAt(Posix.Fd(parent), name, 0);

    private static string TemporaryName() => $".dpm-recovering-{Guid.NewGuid():N}";

    private static string LastError() => Posix.Describe(Marshal.GetLastPInvokeError());
}
