using System.CommandLine;
using System.Globalization;
using Dpm.Contracts.Workloads;
using Dpm.Management;
using Spectre.Console;

namespace Dpm.Shell;

/// <summary>
/// <c>dpm datasource …</c>, <c>dpm recoverypoint get</c>, <c>dpm recoverable-item get</c>, <c>dpm recover</c>:
/// DPM's Get-Datasource, Get-RecoveryPoint, Get-RecoverableItem and Recover-RecoverableItem.
/// </summary>
internal static class ProtectionCommands
{
    private static CultureInfo Culture => CultureInfo.InvariantCulture;

    public static IEnumerable<Command> Create(ShellContext shell)
    {
        yield return DataSource(shell);
        yield return RecoveryPoint(shell);
        yield return RecoverableItem(shell);
        yield return Recover(shell);
    }

    private static Command DataSource(ShellContext shell)
    {
        var inquire = new Option<bool>("--inquire") { Description = "Ask the workload plugins what they find on the computer (otherwise: data sources that have recovery points)" };
        var parent = new Option<string?>("--parent") { Description = "With --inquire: list the children of this data source" };
        var get = new Command("get", "List data sources") { inquire, parent, shell.Json };
        get.SetAction((parse, ct) => parse.GetValue(inquire)
            ? shell.CallAsync(parse, (c, t) => c.InquireAsync(parse.GetValue(parent), t), inquiry => RenderInquiry(shell.Console, inquiry), ct)
            : shell.CallAsync(parse, (c, t) => c.GetRecoveryPointsAsync(null, t), points => RenderProtected(shell.Console, points), ct));

        var id = new Argument<string>("DATASOURCE") { Description = "The data source id (for example folder:/srv/data)" };
        var include = new Option<string[]>("--include") { Description = "Only these paths or patterns (relative to the data source)", AllowMultipleArgumentsPerToken = true };
        var exclude = new Option<string[]>("--exclude") { Description = "Leave these paths or patterns out", AllowMultipleArgumentsPerToken = true };
        var plugin = new Option<string?>("--plugin") { Description = "The workload plugin (default: found from the id)" };
        var incremental = new Option<bool>("--incremental") { Description = "Ship only the logs written since the last recovery point (log-based workloads such as SQL); others make an express full" };
        var computer = new Option<string?>("--computer") { Description = "The protected computer whose agent has the data source (default: the server's own)" };
        var sync = new Command("sync", "Synchronize a data source now: replica creation the first time, an express full after") { id, include, exclude, plugin, incremental, computer, shell.Json };
        sync.SetAction((parse, ct) => shell.CallAsync(
            parse,
            (c, t) => c.SynchronizeAsync(
                new SynchronizationRequestDto
                {
                    DataSourceId = parse.GetValue(id)!,
                    PluginId = parse.GetValue(plugin),
                    Include = parse.GetValue(include) ?? [],
                    Exclude = parse.GetValue(exclude) ?? [],
                    Incremental = parse.GetValue(incremental),
                    Computer = parse.GetValue(computer),
                },
                t),
            outcome => RenderSync(shell.Console, outcome),
            ct));

        var checkId = new Argument<string>("DATASOURCE") { Description = "The data source id" };
        var heavy = new Option<bool>("--heavy") { Description = "Compare every file's data too (reads everything); otherwise items and metadata only" };
        var check = new Command("check", "Consistency check: compare the data source with its replica and repair the replica") { checkId, heavy, plugin, shell.Json };
        check.SetAction((parse, ct) => shell.CallAsync(
            parse,
            (c, t) => c.CheckConsistencyAsync(new ConsistencyCheckRequestDto { DataSourceId = parse.GetValue(checkId)!, PluginId = parse.GetValue(plugin), Heavy = parse.GetValue(heavy) }, t),
            result => RenderCheck(shell.Console, result),
            ct));

        return new Command("datasource", "Data sources: what can be protected, synchronizing them, checking their replicas") { get, sync, check };
    }

    private static Command RecoveryPoint(ShellContext shell)
    {
        var dataSource = new Option<string?>("--datasource") { Description = "Only this data source's recovery points" };
        var get = new Command("get", "List recovery points, oldest first") { dataSource, shell.Json };
        get.SetAction((parse, ct) => shell.CallAsync(parse, (c, t) => c.GetRecoveryPointsAsync(parse.GetValue(dataSource), t), points => RenderPoints(shell.Console, points), ct));

        var prune = new Command("prune", "Prune now: recovery points past their protection group's retention range or limit leave the storage pool and the catalog") { shell.Json };
        prune.SetAction(async (parse, ct) =>
        {
            PruneResult? result = null;
            var exit = await shell.CallAsync(
                parse,
                async (c, t) =>
                {
                    var answer = await c.PruneAsync(t);
                    result = answer.Value;
                    return answer;
                },
                r => RenderPrune(shell.Console, r),
                ct);
            return exit == 0 && result is { Problems.Count: > 0 } ? 1 : exit;
        });
        var command = new Command("recovery-point", "Recovery points") { get, prune };
        command.Aliases.Add("recoverypoint");
        return command;
    }

    private static Command RecoverableItem(ShellContext shell)
    {
        var point = new Option<string>("--recovery-point") { Description = "The recovery point", Required = true };
        var path = new Option<string?>("--path") { Description = "Browse below this path (default: the top)" };
        var search = new Option<string?>("--search") { Description = "Find items whose name contains this text" };
        var get = new Command("get", "Browse or search what a recovery point can recover") { point, path, search, shell.Json };
        get.SetAction((parse, ct) => shell.CallAsync(
            parse,
            (c, t) => c.GetRecoverableItemsAsync(parse.GetValue(point)!, parse.GetValue(path), parse.GetValue(search), t),
            items => RenderItems(shell.Console, items),
            ct));
        return new Command("recoverable-item", "Recoverable items") { get };
    }

    private static Command Recover(ShellContext shell)
    {
        var point = new Option<string>("--recovery-point") { Description = "The recovery point to recover from", Required = true };
        var items = new Option<string[]>("--item") { Description = "Items to recover (a folder brings everything below it); none recovers the whole data source", AllowMultipleArgumentsPerToken = true };
        var target = new Option<string?>("--target") { Description = "Recover into this folder (an alternate location)" };
        var original = new Option<bool>("--original") { Description = "Recover to the original location" };
        var existing = new Option<ExistingItemBehaviour>("--existing") { Description = "When an item exists: Overwrite, Skip or KeepBoth", DefaultValueFactory = _ => ExistingItemBehaviour.Overwrite };
        var noSecurity = new Option<bool>("--no-security") { Description = "Don't restore owners, permissions, ACLs and extended attributes" };
        var pointInTime = new Option<DateTimeOffset?>("--point-in-time") { Description = "Log-based workloads (SQL): recover to this time within the recovery point's logs, e.g. 2026-11-26T10:15:00Z" };
        var nonOperational = new Option<bool>("--leave-non-operational") { Description = "Application workloads: leave the recovered application in recovery, ready for more logs" };
        var recover = new Command("recover", "Recover a data source or chosen items") { point, items, target, original, existing, noSecurity, pointInTime, nonOperational, shell.Json };
        recover.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(original) == (parse.GetValue(target) is not null))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("dpm: give either --target FOLDER or --original");
                return 2;
            }

            var request = new RecoveryRequestDto
            {
                RecoveryPointId = parse.GetValue(point)!,
                Items = parse.GetValue(items) ?? [],
                Destination = parse.GetValue(original) ? RecoveryDestination.OriginalLocation : RecoveryDestination.AlternateLocation,
                Path = parse.GetValue(target) is { } folder ? Path.GetFullPath(folder) : null,
                ExistingItems = parse.GetValue(existing),
                RestoreSecurity = !parse.GetValue(noSecurity),
                PointInTime = parse.GetValue(pointInTime),
                LeaveNonOperational = parse.GetValue(nonOperational),
            };
            var exit = await shell.CallAsync(parse, (c, t) => c.RecoverAsync(request, t), result => RenderRecovery(shell.Console, result), ct);
            return exit;
        });
        return recover;
    }

    private static void RenderInquiry(IAnsiConsole console, DataSourceInquiry inquiry)
    {
        var table = new Table().AddColumns("Data source", "Name", "Kind", "Plugin", "Facts");
        foreach (var d in inquiry.DataSources)
        {
            table.AddRow(
                Markup.Escape(d.DataSource.Id),
                Markup.Escape(d.DataSource.Name),
                d.DataSource.Kind + (d.DataSource.HasChildren ? " +" : ""),
                Markup.Escape(d.PluginId),
                Markup.Escape(string.Join(", ", d.DataSource.Facts.Select(f => $"{f.Key}={f.Value}"))));
        }

        console.Write(table);
        foreach (var failure in inquiry.Failures)
        {
            console.MarkupLineInterpolated($"[red]{failure}[/]");
        }
    }

    private static void RenderProtected(IAnsiConsole console, IReadOnlyList<RecoveryPointSummary> points)
    {
        var table = new Table().AddColumns("Data source", "Name", "Recovery points", "Latest", "Size");
        foreach (var group in points.GroupBy(p => p.DataSourceId))
        {
            var latest = group.MaxBy(p => p.CreatedAt)!;
            table.AddRow(Markup.Escape(group.Key), Markup.Escape(latest.DataSourceName), group.Count().ToString(Culture), latest.CreatedAt.ToString("u", Culture), Size(latest.Bytes));
        }

        console.Write(table);
    }

    private static void RenderSync(IAnsiConsole console, SynchronizationOutcome outcome)
    {
        var p = outcome.RecoveryPoint;
        console.MarkupLineInterpolated($"Recovery point [green]{p.Id}[/] of {p.DataSourceName} ({p.Consistency}) in {outcome.Seconds:0.0} s");
        console.WriteLine(string.Create(Culture,
            $"{p.Items} items ({outcome.ItemsListed} looked at), {Size(p.Bytes)}; read {Size(p.BytesRead)} ({outcome.ItemsRead} files), reused {outcome.ItemsReused} unchanged files; new data {Size(p.NewBytes)}, stored {Size(p.StoredBytes)}"));
        if (outcome.ReplicaInconsistentReason is { } lost)
        {
            console.MarkupLineInterpolated($"[yellow]The replica was possibly inconsistent[/]: {lost}");
            if (outcome.ConsistencyCheck is { } check)
            {
                RenderCheck(console, check);
            }
        }
        else if (outcome.FullEnumerationReason is { } why)
        {
            console.WriteLine($"Every item was compared: {why}");
        }

        foreach (var path in outcome.ChangedWhileRead)
        {
            console.MarkupLineInterpolated($"[yellow]changed while it was read, not in this recovery point:[/] {path}");
        }
    }

    private static void RenderCheck(IAnsiConsole console, ConsistencyCheckResultDto result)
    {
        console.MarkupLine(result.Inconsistencies.Count == 0
            ? $"[green]Consistent[/]: {result.Level} check compared {result.ItemsCompared} items ({Size(result.BytesCompared)} of data)"
            : $"[yellow]{result.Inconsistencies.Count} inconsistencies[/] found by the {result.Level} check of {result.ItemsCompared} items:");
        foreach (var item in result.Inconsistencies.Take(50))
        {
            console.MarkupLineInterpolated($"  {item.Path}: {item.Reason}");
        }

        if (result.Repair is { } repair)
        {
            console.MarkupLineInterpolated($"Replica repaired by recovery point [green]{repair.RecoveryPoint.Id}[/] ({repair.ItemsRead} items read).");
        }
    }

    private static void RenderPoints(IAnsiConsole console, IReadOnlyList<RecoveryPointSummary> points)
    {
        var table = new Table().AddColumns("Recovery point", "Data source", "Created", "Kind", "Consistency", "Items", "Size", "Stored");
        foreach (var p in points)
        {
            table.AddRow(p.Id, Markup.Escape(p.DataSourceName), p.CreatedAt.ToString("u", Culture), p.Kind.ToString(), p.Consistency.ToString(), p.Items.ToString(Culture), Size(p.Bytes), Size(p.StoredBytes));
        }

        console.Write(table);
    }

    private static void RenderPrune(IAnsiConsole console, PruneResult result)
    {
        console.WriteLine(string.Create(Culture,
            $"Pruned {result.RecoveryPoints} recovery points of {result.DataSources} data sources ({Size(result.StoredBytes)} stored, freed by the pool's garbage collection)"));
        foreach (var problem in result.Problems)
        {
            console.MarkupLineInterpolated($"[red]not pruned:[/] {problem}");
        }
    }

    private static void RenderItems(IAnsiConsole console, IReadOnlyList<RecoverableItem> items)
    {
        var table = new Table().AddColumns("Path", "Kind", "Size", "Modified");
        foreach (var i in items)
        {
            table.AddRow(Markup.Escape(i.Path + (i.HasChildren ? "/" : "")), i.Kind.ToString(), Size(i.Length), i.LastWriteTime?.ToString("u", Culture) ?? "-");
        }

        console.Write(table);
    }

    private static void RenderRecovery(IAnsiConsole console, RecoveryResult result)
    {
        var colour = result.Outcome == RecoveryOutcome.Succeeded ? "green" : result.Outcome == RecoveryOutcome.Failed ? "red" : "yellow";
        console.MarkupLine($"[{colour}]{result.Outcome}[/]: {result.ItemsRecovered} items, {Size(result.BytesRecovered)} recovered, {result.ItemsSkipped} skipped, to {Markup.Escape(result.RecoveredTo ?? "?")}");
        foreach (var failure in result.Failures)
        {
            console.MarkupLineInterpolated($"[red]not recovered:[/] {failure.Path}: {failure.Reason}");
        }
    }

    internal static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(Culture, $"{bytes / (double)(1L << 30):0.00} GiB"),
        >= 1L << 20 => string.Create(Culture, $"{bytes / (double)(1L << 20):0.0} MiB"),
        >= 1L << 10 => string.Create(Culture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(Culture, $"{bytes} B"),
    };
}
