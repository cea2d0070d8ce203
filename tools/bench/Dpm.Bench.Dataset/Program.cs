using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dpm.Bench.Dataset;

// dpm-bench-dataset generate | change. Exit codes: 0 done, 1 refused (folder not empty or missing), 2 bad command line.

var seed = new Option<ulong>("--seed") { Description = "Seed: the same seed gives the same bytes", DefaultValueFactory = _ => 42 };
var sizeMb = new Option<int>("--size-mb") { Description = "Total size in MiB (about)", DefaultValueFactory = _ => 2048 };
var directory = new Argument<DirectoryInfo>("DIR") { Description = "Folder of the dataset" };

var generate = new Command("generate", "Write a dataset shaped like a file server into an empty or new folder") { seed, sizeMb, directory };
generate.SetAction(parse =>
{
    var dir = parse.GetValue(directory)!;
    var size = parse.GetValue(sizeMb);
    if (size < 8)
    {
        Console.Error.WriteLine("dpm-bench-dataset: --size-mb must be at least 8");
        return 2;
    }

    if (dir.Exists && dir.EnumerateFileSystemInfos().Any())
    {
        Console.Error.WriteLine($"dpm-bench-dataset: '{dir.FullName}' is not empty; refusing to write into it");
        return 1;
    }

    var clock = Stopwatch.StartNew();
    var files = DatasetPlan.Create(parse.GetValue(seed), size * 1024L * 1024);
    Generator.Write(dir.FullName, parse.GetValue(seed), files);
    var small = files.Where(f => f.Size <= DatasetPlan.SmallMax).ToList();
    var large = files.Where(f => f.Kind is ContentKind.Database or ContentKind.VirtualDisk).ToList();
    var total = files.Sum(f => f.Size);
    var folders = files.Select(f => Path.GetDirectoryName(f.Path)).Distinct(StringComparer.Ordinal).Count();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"generated seed {parse.GetValue(seed)}: {files.Count} files in {folders} folders, {total / 1048576.0:0.0} MiB "
        + $"(small {small.Count} files {Share(small)}, medium {files.Count - small.Count - large.Count} files "
        + $"{Share(files.Except(small).Except(large))}, large {large.Count} files {Share(large)}) in {dir.FullName} "
        + $"in {clock.Elapsed.TotalSeconds:0.0} s"));
    return 0;

    string Share(IEnumerable<PlannedFile> part) => string.Create(CultureInfo.InvariantCulture, $"{100.0 * part.Sum(f => f.Size) / total:0}%");
});

var changeSeed = new Option<ulong>("--seed") { Description = "Seed of the change", DefaultValueFactory = _ => 43 };
var existing = new Argument<DirectoryInfo>("DIR") { Description = "Folder of a generated dataset" }.AcceptExistingOnly();
var change = new Command("change", "Apply a deterministic day of change (about 1% of the bytes) in place") { changeSeed, existing };
change.SetAction(parse =>
{
    var clock = Stopwatch.StartNew();
    var summary = DayOfChange.Apply(parse.GetValue(existing)!.FullName, parse.GetValue(changeSeed));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"changed seed {parse.GetValue(changeSeed)}: {summary} in {clock.Elapsed.TotalSeconds:0.0} s"));
    return 0;
});

return await new RootCommand("dpm-bench-dataset: the deterministic file-server dataset of the storage pool benchmark") { generate, change }
    .Parse(args).InvokeAsync();
