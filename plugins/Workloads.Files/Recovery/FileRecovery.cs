using System.Runtime.CompilerServices;
using Dpm.Contracts;
using Dpm.Contracts.Workloads;
using Microsoft.Extensions.Logging;

namespace Dpm.Workloads.Files.Recovery;

/// <summary>Whole data source and item-level recovery, and browsing of a recovery point.</summary>
internal static class FileRecovery
{
    public static async ValueTask<RecoveryResult> RecoverAsync(
        IRecoverySource source,
        RecoveryRequest request,
        IReadOnlyList<string>? items,
        string? computerName,
        IProgress<ProgressReport>? progress,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(request);
        var target = request.Target ?? throw new ArgumentException("The recovery request has no target.", nameof(request));
        if (target.Computer is not null && computerName is not null && !string.Equals(target.Computer, computerName, StringComparison.OrdinalIgnoreCase))
        {
            return Refused($"the recovery is for computer '{target.Computer}', but this agent runs on '{computerName}'", target.Path);
        }

        string folder;
        if (target.Destination == RecoveryDestination.OriginalLocation)
        {
            if (!DataSourcePaths.TryResolve(source.DataSource, out folder, out var error))
            {
                return Refused(error, null);
            }
        }
        else if (string.IsNullOrWhiteSpace(target.Path) || !Path.IsPathFullyQualified(target.Path))
        {
            return Refused($"the {target.Destination} recovery needs an absolute folder path, not '{target.Path}'", target.Path);
        }
        else
        {
            folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target.Path));
        }

        var tree = TargetTree.Open(folder, out var openError);
        if (tree is null)
        {
            return Refused(openError, folder);
        }

        using var run = new RecoveryRun(
            source,
            tree,
            request.Options ?? new RecoveryOptions(),
            applyRootMetadata: target.Destination != RecoveryDestination.CopyToFolder,
            progress,
            logger);
        var work = items is null ? AllItemsAsync(source, cancellationToken) : ChosenItemsAsync(source, items, cancellationToken);
        return await run.RunAsync(work, cancellationToken);
    }

    /// <summary>The direct children of <paramref name="parentPath"/> in the recovery point, in name order.</summary>
    public static async IAsyncEnumerable<RecoverableItem> ListAsync(IRecoverySource source, string parentPath, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!ItemPaths.TrySplit(parentPath, out _, out var error))
        {
            throw new ArgumentException(error, nameof(parentPath));
        }

        var prefix = parentPath.Length == 0 ? "" : parentPath + "/";
        var children = new SortedDictionary<string, ProtectedItem?>(StringComparer.Ordinal);
        var withChildren = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var item in source.EnumerateItemsAsync(prefix, cancellationToken))
        {
            if (item.Path.Length <= prefix.Length || !item.Path.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = item.Path[prefix.Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                children[rest] = item;
            }
            else
            {
                var name = rest[..slash];
                withChildren.Add(name);
                children.TryAdd(name, null); // a folder the recovery point lists only through what is below it
            }
        }

        foreach (var (name, item) in children)
        {
            var path = prefix + name;
            yield return item is null
                ? new RecoverableItem(path, name, ProtectedItemKind.Directory, 0, true, null)
                : new RecoverableItem(path, name, item.Kind, item.Length, item.Kind == ProtectedItemKind.Directory && withChildren.Contains(name), item.LastWriteTime);
        }
    }

    private static RecoveryResult Refused(string reason, string? folder) => new()
    {
        Outcome = RecoveryOutcome.Failed,
        Failures = [new ItemFailure("", reason)],
        RecoveredTo = folder,
    };

    private static async IAsyncEnumerable<RecoveryWork> AllItemsAsync(IRecoverySource source, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in source.EnumerateItemsAsync("", cancellationToken))
        {
            yield return new RecoveryWork(item);
        }
    }

    /// <summary>The chosen items, each after its folders (created when missing) and, for a folder, followed by everything below it.</summary>
    private static async IAsyncEnumerable<RecoveryWork> ChosenItemsAsync(IRecoverySource source, IReadOnlyList<string> paths, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var path in paths)
        {
            if (!ItemPaths.TrySplit(path, out var segments, out var error))
            {
                yield return new RecoveryWork(null, FailedPath: path ?? "", Failure: error);
                continue;
            }

            if (segments.Length == 0)
            {
                await foreach (var all in AllItemsAsync(source, cancellationToken))
                {
                    yield return all;
                }

                continue;
            }

            var item = await source.GetItemAsync(path, cancellationToken);
            if (item is null)
            {
                yield return new RecoveryWork(null, FailedPath: path, Failure: "the recovery point holds no item at this path");
                continue;
            }

            for (var i = 1; i < segments.Length; i++)
            {
                var ancestorPath = ItemPaths.Join(segments.Take(i));
                var ancestor = await source.GetItemAsync(ancestorPath, cancellationToken);
                yield return new RecoveryWork(
                    ancestor is { Kind: ProtectedItemKind.Directory } && ancestor.Path == ancestorPath ? ancestor : new ProtectedItem { Path = ancestorPath, Kind = ProtectedItemKind.Directory },
                    AncestorOnly: true);
            }

            yield return new RecoveryWork(item with { Path = path });
            if (item.Kind == ProtectedItemKind.Directory)
            {
                await foreach (var below in source.EnumerateItemsAsync(path + "/", cancellationToken))
                {
                    if (ItemPaths.IsSameOrBelow(below.Path, path))
                    {
                        yield return new RecoveryWork(below);
                    }
                }
            }
        }
    }
}
