using System.Globalization;

namespace Dpm.Bench.Dataset;

/// <summary>What a day of change did, for the one-line summary.</summary>
internal sealed class ChangeSummary
{
    public long TotalBytes { get; set; }
    public int PagesWritten { get; set; }
    public int LargeFiles { get; set; }
    public int LogsAppended { get; set; }
    public long AppendedBytes { get; set; }
    public int FilesEdited { get; set; }
    public long EditedBytes { get; set; }
    public int FilesAdded { get; set; }
    public long AddedBytes { get; set; }
    public int FilesDeleted { get; set; }
    public long DeletedBytes { get; set; }
    public int FilesRenamed { get; set; }
    public string FolderRenamed { get; set; } = "none";

    public long TouchedBytes => ((long)PagesWritten * Pages.DatabasePageSize) + AppendedBytes + EditedBytes + AddedBytes;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{PagesWritten} pages of 8 KiB overwritten in {LargeFiles} large files, {LogsAppended} logs appended ({Mib(AppendedBytes)}), "
        + $"{FilesEdited} files rewritten ({Mib(EditedBytes)}), {FilesAdded} files added ({Mib(AddedBytes)}), "
        + $"{FilesDeleted} deleted ({Mib(DeletedBytes)}), {FilesRenamed} renamed, folder renamed: {FolderRenamed}; "
        + $"{Mib(TouchedBytes)} written = {100.0 * TouchedBytes / Math.Max(1, TotalBytes):0.00}% of {Mib(TotalBytes)}");

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB");
}

/// <summary>
/// A deterministic day of change, in place: scattered and clustered 8 KiB page writes inside the large files, appends to
/// logs, rewritten, new, deleted and renamed documents, and one renamed folder; about 1% of the bytes in all. The
/// choices depend only on the seed and on the files present, so the same dataset changed with the same seed gives the
/// same bytes. Applying it twice changes the data twice.
/// </summary>
internal static class DayOfChange
{
    private const ulong ChangeStreamBase = 0xC000_0000_0000UL;

    public static ChangeSummary Apply(string root, ulong seed)
    {
        var rng = Prng.For(seed, Streams.Change, 0);
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(p => (Path: Path.GetRelativePath(root, p).Replace(Path.DirectorySeparatorChar, '/'), Size: new FileInfo(p).Length))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        var summary = new ChangeSummary { TotalBytes = files.Sum(f => f.Size) };
        var total = summary.TotalBytes;
        var used = new HashSet<string>(StringComparer.Ordinal);
        ulong stream = ChangeStreamBase;

        var large = files.Where(f => IsLarge(f.Path) && f.Size >= Pages.DatabasePageSize * 64).ToList();
        var logs = files.Where(f => f.Path.EndsWith(".log", StringComparison.Ordinal)).ToList();
        var small = files.Where(f => f.Size <= DatasetPlan.SmallMax && !IsLarge(f.Path)).ToList();
        var medium = files.Where(f => f.Size > DatasetPlan.SmallMax && !IsLarge(f.Path) && !f.Path.EndsWith(".log", StringComparison.Ordinal)).ToList();

        // 1. Page writes in the large files (0.6%): a third scattered one by one, the rest in hot clusters of 8–64 pages.
        var largeBytes = large.Sum(f => f.Size);
        var page = new byte[Pages.DatabasePageSize];
        foreach (var (path, size) in large)
        {
            var pages = (int)(total * 6 / 1000 * size / largeBytes / Pages.DatabasePageSize);
            var slots = size / Pages.DatabasePageSize;
            var kind = path.EndsWith(".mdf", StringComparison.Ordinal) ? ContentKind.Database : ContentKind.VirtualDisk;
            using var handle = File.OpenHandle(Generator.Full(root, path), FileMode.Open, FileAccess.Write);
            var written = 0;
            while (written < pages)
            {
                var run = written < pages / 3 ? 1 : (int)Math.Min(pages - written, rng.OctaveUniform(8, 64));
                var first = rng.NextInt64(0, slots - run + 1);
                for (var i = 0; i < run; i++)
                {
                    var number = first + i;
                    if (kind == ContentKind.Database)
                    {
                        LargeFile.OwnPage(page, Prng.For(seed, Streams.ChangeContent, stream++), kind, number, 1);
                    }
                    else
                    {
                        LargeFile.OwnPage(page.AsSpan(0, Pages.DiskPageSize), Prng.For(seed, Streams.ChangeContent, stream++), kind, number, 1);
                        LargeFile.OwnPage(page.AsSpan(Pages.DiskPageSize), Prng.For(seed, Streams.ChangeContent, stream++), kind, number, 1);
                    }

                    RandomAccess.Write(handle, page, number * Pages.DatabasePageSize);
                }

                written += run;
            }

            summary.PagesWritten += written;
            summary.LargeFiles++;
            used.Add(path);
        }

        // 2. Appends to logs (0.15%), to up to six of them.
        var appendTo = Pick(rng, logs, Math.Min(6, logs.Count), used);
        foreach (var (path, _) in appendTo)
        {
            var bytes = total * 15 / 10000 / appendTo.Count;
            using var log = new FileStream(Generator.Full(root, path), FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
            Generator.WriteContent(log, seed, ContentKind.Log, stream++, bytes, new DateTime(2025, 7, 1, 0, 0, 0, DateTimeKind.Utc));
            summary.LogsAppended++;
            summary.AppendedBytes += bytes;
        }

        // 3. Documents saved again with new content (0.1%).
        var prose = small.Where(f => f.Path.EndsWith(".txt", StringComparison.Ordinal) || f.Path.EndsWith(".md", StringComparison.Ordinal)).ToList();
        for (long budget = total / 1000; budget > 0;)
        {
            var picked = Pick(rng, prose, 1, used);
            if (picked.Count == 0)
            {
                break;
            }

            var (path, size) = picked[0];
            var newSize = size + (size * rng.Next(-10, 30) / 100);
            Rewrite(Generator.Full(root, path), ContentKind.Prose, newSize);
            summary.FilesEdited++;
            summary.EditedBytes += newSize;
            budget -= newSize;
        }

        // 4. Deleted and renamed: 0.5% of the small files each, and one medium file each (when there are 10 or more).
        var mediumCount = medium.Count >= 10 ? 1 : 0;
        foreach (var (path, size) in Pick(rng, small, Math.Max(1, small.Count / 200), used).Concat(Pick(rng, medium, mediumCount, used)))
        {
            File.Delete(Generator.Full(root, path));
            summary.FilesDeleted++;
            summary.DeletedBytes += size;
        }

        foreach (var (path, _) in Pick(rng, small, Math.Max(1, small.Count / 200), used).Concat(Pick(rng, medium, mediumCount, used)))
        {
            var dot = path.LastIndexOf('.');
            var target = Free($"{path[..dot]} {(rng.Chance(0.5) ? "v2" : "(final)")}{path[dot..]}");
            File.Move(Generator.Full(root, path), Generator.Full(root, target));
            summary.FilesRenamed++;
        }

        // 5. New files (0.15%): one medium scan when there is room, the rest new documents next to existing ones.
        var folders = small.Select(f => Folder(f.Path)).Where(f => f.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var addBudget = total * 15 / 10000;
        if (addBudget > 2 * DatasetPlan.MediumMin && folders.Count > 0)
        {
            var target = Free($"{folders[rng.Next(folders.Count)]}/Scan {rng.Next(1000, 9999)}.pdf");
            Create(target, ContentKind.Random, addBudget / 2);
            addBudget -= addBudget / 2;
        }

        while (addBudget > 0 && folders.Count > 0)
        {
            var word = Vocabulary.Content[rng.Next(Vocabulary.Content.Length)];
            var target = Free($"{folders[rng.Next(folders.Count)]}/New {System.Text.Encoding.UTF8.GetString(word)} 2025-07.txt");
            var size = Math.Min(addBudget, rng.OctaveUniform(512, DatasetPlan.SmallMax));
            Create(target, ContentKind.Prose, size);
            addBudget -= size;
        }

        // 6. One folder of documents renamed (depth 3 or more, no large files or logs in it).
        var candidates = folders
            .Where(f => f.Count(c => c == '/') >= 2)
            .Where(f => !large.Concat(logs).Any(l => l.Path.StartsWith(f + "/", StringComparison.Ordinal)))
            .ToList();
        if (candidates.Count > 0)
        {
            var folder = candidates[rng.Next(candidates.Count)];
            var renamed = folder + " (moved)";
            for (var n = 2; Directory.Exists(Generator.Full(root, renamed)); n++)
            {
                renamed = $"{folder} (moved {n})";
            }

            Directory.Move(Generator.Full(root, folder), Generator.Full(root, renamed));
            summary.FolderRenamed = $"'{folder}' -> '{renamed[(renamed.LastIndexOf('/') + 1)..]}'";
        }

        return summary;

        void Rewrite(string full, ContentKind kind, long size)
        {
            using var stream2 = new FileStream(full, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
            Generator.WriteContent(stream2, seed, kind, stream++, size);
        }

        void Create(string relative, ContentKind kind, long size)
        {
            using (var created = new FileStream(Generator.Full(root, relative), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                Generator.WriteContent(created, seed, kind, stream++, size);
            }

            used.Add(relative);
            summary.FilesAdded++;
            summary.AddedBytes += size;
        }

        string Free(string relative)
        {
            var candidate = relative;
            for (var n = 2; File.Exists(Generator.Full(root, candidate)); n++)
            {
                var dot = relative.LastIndexOf('.');
                candidate = $"{relative[..dot]} ({n}){relative[dot..]}";
            }

            return candidate;
        }
    }

    private static bool IsLarge(string path) =>
        path.EndsWith(".mdf", StringComparison.Ordinal) || path.EndsWith(".vhdx", StringComparison.Ordinal);

    private static string Folder(string path) => path.Contains('/', StringComparison.Ordinal) ? path[..path.LastIndexOf('/')] : "";

    /// <summary>Picks <paramref name="count"/> files not used yet, and marks them used.</summary>
    private static List<(string Path, long Size)> Pick(Prng rng, List<(string Path, long Size)> from, int count, HashSet<string> used)
    {
        var picked = new List<(string, long)>();
        for (var attempts = 0; from.Count > 0 && picked.Count < count && attempts < count * 50; attempts++)
        {
            var candidate = from[rng.Next(from.Count)];
            if (used.Add(candidate.Path))
            {
                picked.Add(candidate);
            }
        }

        return picked;
    }
}
