using System.Text;

namespace Dpm.Bench.Dataset;

/// <summary>What a file's bytes are made of.</summary>
internal enum ContentKind
{
    Prose,
    Csv,
    Log,
    Random,
    Database,
    VirtualDisk,
}

/// <summary>One file of the dataset: where, what, how big, and which content stream it is drawn from.</summary>
/// <param name="Path">Relative path with '/' separators.</param>
/// <param name="Kind">What the bytes are made of.</param>
/// <param name="Size">Bytes.</param>
/// <param name="Content">The content stream: the file's own index, or the index of the file it is a copy of.</param>
/// <param name="Modified">Its last-write time (deterministic too).</param>
internal sealed record PlannedFile(string Path, ContentKind Kind, long Size, ulong Content, DateTime Modified);

/// <summary>The numbered random streams: each part of the dataset draws from its own, so parts don't shift each other.</summary>
internal static class Streams
{
    public const ulong Plan = 1;
    public const ulong FileContent = 2;
    public const ulong SharedDatabasePages = 3;
    public const ulong SharedDiskPages = 4;
    public const ulong RepeatedDatabasePages = 5;
    public const ulong RepeatedDiskPages = 6;
    public const ulong Change = 7;
    public const ulong ChangeContent = 8;

    /// <summary>The pages of large file <paramref name="file"/> have a stream each.</summary>
    public static ulong FilePages(ulong file) => 0x1000_0000UL + file;
}

/// <summary>
/// The file list of a dataset: 15% of the bytes in small documents (0.5–64 KiB) spread over a folder tree of depth
/// 2–5, 35% in medium files (0.5–20 MiB, about half text-like and half incompressible), 50% in a few large database
/// and virtual-disk files (100–400 MiB at full size). A function of the seed and the size only.
/// </summary>
internal static class DatasetPlan
{
    public const long SmallMax = 64 * 1024;
    public const long MediumMin = 512 * 1024;
    private const long MiB = 1024 * 1024;

    private static readonly string[] SmallExtensions = ["txt", "txt", "txt", "md", "csv", "csv", "html", "xml", "json", "rtf", "eml"];
    private static readonly string[] RandomExtensions = ["jpg", "jpg", "png", "zip", "pdf", "mp4", "pptx", "docx"];
    private static readonly string[] Servers = ["FS01", "SQL01", "WEB02", "DC01", "EXCH01"];
    private static readonly string[] ContentWords =
        [.. Vocabulary.Content.Select(w => Encoding.UTF8.GetString(w))];

    public static IReadOnlyList<PlannedFile> Create(ulong seed, long totalBytes)
    {
        var rng = Prng.For(seed, Streams.Plan, 0);
        var files = new List<PlannedFile>();
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var smallBudget = totalBytes * 15 / 100;
        var mediumBudget = totalBytes * 35 / 100;
        var largeBudget = totalBytes - smallBudget - mediumBudget;
        var folders = Folders(rng, (int)Math.Max(8, smallBudget / (13 * 1024) / 15));

        // Large first: a few databases and virtual disks, 100–400 MiB each at full size.
        var largeCount = (int)Math.Max(1, (largeBudget + (125 * MiB)) / (250 * MiB));
        var weights = Enumerable.Range(0, largeCount).Select(_ => 0.6 + (0.8 * rng.NextDouble())).ToArray();
        var weightSum = weights.Sum();
        long largeUsed = 0;
        for (var i = 0; i < largeCount; i++)
        {
            var size = i == largeCount - 1 ? largeBudget - largeUsed : (long)(largeBudget * weights[i] / weightSum);
            size = Math.Max(MiB, size / MiB * MiB);
            largeUsed += size;
            var database = i % 2 == 0;
            var round = i / 4 == 0 ? "" : $" {(i / 4) + 1}";
            var path = database
                ? $"Servers/SQL01/Data/{(i % 4 == 0 ? "Sales" : "ERP Finance")}{round}.mdf"
                : $"Servers/HV01/Virtual Hard Disks/{(i % 4 == 1 ? "FS01" : "WEB02")}{round} disk0.vhdx";
            Add(database ? ContentKind.Database : ContentKind.VirtualDisk, path, size, -1);
        }

        // Medium: logs, exports, reports, and incompressible media and archives.
        long mediumUsed = 0;
        while (mediumUsed < mediumBudget)
        {
            var size = Math.Min(rng.OctaveUniform(MediumMin, 20 * MiB), Math.Max(MediumMin, mediumBudget - mediumUsed));
            var pick = rng.Next(100);
            var word = ContentWords[rng.Next(ContentWords.Length)];
            var year = rng.Next(2019, 2026);
            if (pick < 20)
            {
                var server = Servers[rng.Next(Servers.Length)];
                Add(ContentKind.Log, $"IT/Logs/{server}/{word}-{year}{rng.Next(1, 13):00}.log", size, -1);
            }
            else if (pick < 35)
            {
                Add(ContentKind.Csv, $"{folders[rng.Next(folders.Count)]}/{word} export {year}.csv", size, -1);
            }
            else if (pick < 53)
            {
                Add(ContentKind.Prose, $"{folders[rng.Next(folders.Count)]}/{Capital(word)} report {year}.txt", size, -1);
            }
            else
            {
                var copyOf = rng.Chance(0.04) ? LastOf(ContentKind.Random) : -1;
                var extension = RandomExtensions[rng.Next(RandomExtensions.Length)];
                Add(ContentKind.Random, $"{folders[rng.Next(folders.Count)]}/{Capital(word)} {year} {rng.Next(1, 999):000}.{extension}",
                    copyOf >= 0 ? files[copyOf].Size : size, copyOf);
            }

            mediumUsed += files[^1].Size;
        }

        // Small: documents all over the tree; 3% are copies of an earlier one saved elsewhere.
        long smallUsed = 0;
        var firstSmall = files.Count;
        while (smallUsed < smallBudget)
        {
            var folder = folders[rng.Next(folders.Count)];
            if (files.Count - firstSmall > 20 && rng.Chance(0.03))
            {
                var originalIndex = rng.Next(firstSmall, files.Count);
                var original = files[originalIndex];
                var name = original.Path[(original.Path.LastIndexOf('/') + 1)..];
                Add(original.Kind, $"{folder}/{(rng.Chance(0.5) ? "Copy of " : "")}{name}", original.Size, originalIndex);
            }
            else
            {
                var extension = SmallExtensions[rng.Next(SmallExtensions.Length)];
                var name = $"{Capital(ContentWords[rng.Next(ContentWords.Length)])} {ContentWords[rng.Next(ContentWords.Length)]} {rng.Next(2019, 2026)}-{rng.Next(1, 13):00}";
                Add(extension == "csv" ? ContentKind.Csv : ContentKind.Prose, $"{folder}/{name}.{extension}", rng.OctaveUniform(512, SmallMax), -1);
            }

            smallUsed += files[^1].Size;
        }

        return files;

        void Add(ContentKind kind, string path, long size, int copyOf)
        {
            var unique = path;
            for (var n = 2; !paths.Add(unique); n++)
            {
                var dot = path.LastIndexOf('.');
                unique = $"{path[..dot]} ({n}){path[dot..]}";
            }

            var modified = new DateTime(2019, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(rng.NextInt64(0, 6L * 365 * 86400));
            files.Add(new PlannedFile(unique, kind, size, copyOf >= 0 ? files[copyOf].Content : (ulong)files.Count, modified));
        }

        int LastOf(ContentKind kind) => files.FindLastIndex(f => f.Kind == kind);
    }

    /// <summary>Folders of depth 2–5 under a few department shares, with spaces and non-ASCII names among them.</summary>
    private static List<string> Folders(Prng rng, int wanted)
    {
        var names = Vocabulary.FolderNames;
        var folders = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var attempts = 0; folders.Count < wanted && attempts < wanted * 20; attempts++)
        {
            var depth = rng.Next(2, 6);
            var root = names[rng.Next(10)];
            var parts = new List<string> { root };
            if (root == "Users")
            {
                parts.Add(Vocabulary.UserNames[rng.Next(Vocabulary.UserNames.Length)]);
                parts.Add("Documents");
            }

            while (parts.Count < depth)
            {
                // Deeper levels choose among more names, so the tree fans out as it goes down.
                parts.Add(names[rng.Next(Math.Min(names.Length, 14 + (parts.Count * 10)))]);
            }

            var path = string.Join('/', parts.Take(Math.Max(depth, parts.Count)));
            if (seen.Add(path))
            {
                folders.Add(path);
            }
        }

        return folders;
    }

    private static string Capital(string word) => char.ToUpperInvariant(word[0]) + word[1..];
}
