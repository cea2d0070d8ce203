using Dpm.Contracts;
using Dpm.Contracts.Workloads;

namespace Company.Workloads.Sample;

/// <summary>
/// Writes a recovery point's items below a folder. Each file is written beside its destination and renamed into
/// place, so a recovery that fails or is cancelled never leaves a half-written file under a real name; an item whose
/// path would leave the target folder is refused.
/// </summary>
internal static class SampleRecovery
{
    private const string PartialSuffix = ".dpm-recovering";

    public static async ValueTask<RecoveryResult> RecoverAsync(
        IRecoverySource source,
        string target,
        RecoveryOptions options,
        Func<string, bool> chosen,
        IProgress<ProgressReport>? progress,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var failures = new List<ItemFailure>();
        long recovered = 0, skipped = 0, bytes = 0;
        Directory.CreateDirectory(target);
        var inside = target.EndsWith(Path.DirectorySeparatorChar) ? target : target + Path.DirectorySeparatorChar;
        await foreach (var item in source.EnumerateItemsAsync("", cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!chosen(item.Path))
            {
                continue;
            }

            var destination = Path.GetFullPath(Path.Combine(target, item.Path));
            if (!destination.StartsWith(inside, StringComparison.Ordinal))
            {
                failures.Add(new ItemFailure(item.Path, $"the item's path leaves the recovery target {target}; it was not written"));
                continue;
            }

            try
            {
                switch (item.Kind)
                {
                    case ProtectedItemKind.Directory:
                        Directory.CreateDirectory(destination);
                        break;
                    case ProtectedItemKind.File:
                        if (File.Exists(destination) && options.ExistingItems != ExistingItemBehaviour.Overwrite)
                        {
                            if (options.ExistingItems == ExistingItemBehaviour.Skip)
                            {
                                skipped++;
                                continue;
                            }

                            destination = KeepBothName(destination);
                        }

                        bytes += await WriteFileAsync(source, item, destination, cancellationToken);
                        break;
                    default:
                        failures.Add(new ItemFailure(item.Path, $"the sample workload doesn't recover items of kind {item.Kind}"));
                        continue;
                }

                recovered++;
                progress?.Report(new ProgressReport(bytes, ItemsDone: recovered, CurrentItem: item.Path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                failures.Add(new ItemFailure(item.Path, e.Message));
            }
        }

        return new RecoveryResult
        {
            Outcome = failures.Count == 0 ? RecoveryOutcome.Succeeded : recovered > 0 ? RecoveryOutcome.PartiallySucceeded : RecoveryOutcome.Failed,
            ItemsRecovered = recovered,
            ItemsSkipped = skipped,
            BytesRecovered = bytes,
            Failures = failures,
            RecoveredTo = target,
        };
    }

    private static async Task<long> WriteFileAsync(IRecoverySource source, ProtectedItem item, string destination, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var partial = destination + PartialSuffix;
        try
        {
            long written;
            await using (var data = await source.OpenItemAsync(item.Path, cancellationToken) ?? throw new InvalidDataException($"the recovery point has no data for '{item.Path}'"))
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await data.CopyToAsync(file, cancellationToken);
                await file.FlushAsync(cancellationToken);
                written = file.Length;
            }

            if (written != item.Length)
            {
                throw new InvalidDataException($"the recovery point holds {written} bytes of '{item.Path}', not the {item.Length} it recorded");
            }

            if (item.LastWriteTime is { } time)
            {
                File.SetLastWriteTimeUtc(partial, time.UtcDateTime);
            }

            File.Move(partial, destination, overwrite: true);
            return written;
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private static string KeepBothName(string destination)
    {
        var folder = Path.GetDirectoryName(destination)!;
        var name = Path.GetFileNameWithoutExtension(destination);
        var extension = Path.GetExtension(destination);
        for (var n = 1; ; n++)
        {
            var candidate = Path.Combine(folder, $"{name} (recovered{(n == 1 ? "" : $" {n}")}){extension}");
            if (!File.Exists(candidate))
            {
                return candidate;
            }
        }
    }
}
