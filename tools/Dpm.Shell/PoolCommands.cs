using System.CommandLine;
using System.Globalization;
using Dpm.Management;
using Spectre.Console;

namespace Dpm.Shell;

/// <summary><c>dpm pool …</c>: the server's storage pool.</summary>
internal static class PoolCommands
{
    public static Command Create(ShellContext shell)
    {
        var get = new Command("get", "Where the storage pool is, whether it is open, its space") { shell.Json };
        get.SetAction((parse, ct) => shell.CallAsync(parse, (c, t) => c.GetPoolAsync(t), pool => Render(shell.Console, pool), ct));

        var fraction = new Option<double>("--fraction") { Description = "Fraction of packs whose data is read (0-1)", DefaultValueFactory = _ => 1.0 };
        var verify = new Command("verify", "Re-read the pool and name every damaged recovery point") { fraction, shell.Json };
        verify.SetAction(async (parse, ct) =>
        {
            PoolVerification? report = null;
            var exit = await shell.CallAsync(parse, (c, t) => c.VerifyPoolAsync(parse.GetValue(fraction), t), r => Render(shell.Console, report = r), ct);
            return exit == 0 && report is { IsHealthy: false } ? 1 : exit;
        });

        var rebuild = new Command("rebuild-index", "Recreate the chunk index from the packs") { shell.Json };
        rebuild.SetAction((parse, ct) => shell.CallAsync(parse, (c, t) => c.RebuildPoolIndexAsync(t), message => shell.Console.WriteLine(message), ct));

        var copy = new Command("copy-to-cloud", "Copy every recovery point not yet in the long-term cloud copy there (Dpm:CloudCopy), and remove those whose time there is over") { shell.Json };
        copy.SetAction((parse, ct) => shell.CallAsync(
            parse,
            (c, t) => c.CopyToCloudAsync(t),
            r => shell.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.RecoveryPointsCopied} recovery points copied to {r.Target}: {r.ObjectsCopied} objects, {ProtectionCommands.Size(r.BytesCopied)}; {r.ObjectsLocked} objects locked; {r.RecoveryPointsExpired} past their time removed")),
            ct));
        return new Command("pool", "The storage pool") { get, verify, rebuild, copy };
    }

    private static void Render(IAnsiConsole console, PoolInfo pool)
    {
        console.MarkupLineInterpolated($"Storage pool {pool.Location}: {(pool.IsOpen ? "open" : "not open")}");
        if (pool.Problem is { } problem)
        {
            console.MarkupLineInterpolated($"[red]{problem}[/]");
            return;
        }

        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"id {pool.Id}, {pool.Encryption}, {pool.RecoveryPoints} recovery points; {ProtectionCommands.Size(pool.FreeBytes ?? 0)} free of {ProtectionCommands.Size(pool.TotalBytes ?? 0)}"));
    }

    private static void Render(IAnsiConsole console, PoolVerification report)
    {
        var verdict = report.IsHealthy ? "[green]healthy[/]" : $"[red]{report.Damaged.Count} recovery points damaged, {report.Problems.Count} other problems[/]";
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"{report.RecoveryPoints} recovery points, {report.PacksChecked} packs, {report.ChunksChecked} chunks, {ProtectionCommands.Size(report.BytesChecked)} checked: {verdict}"));
        foreach (var damaged in report.Damaged)
        {
            console.MarkupLineInterpolated($"[red]damaged[/] {damaged.Id} ({damaged.DataSourceName}): {string.Join("; ", damaged.Reasons)}");
        }

        foreach (var problem in report.Problems)
        {
            console.MarkupLineInterpolated($"[yellow]problem:[/] {problem}");
        }
    }
}
