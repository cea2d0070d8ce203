using System.CommandLine;
using System.Globalization;
using Dpm.Management;
using Spectre.Console;

namespace Dpm.Shell;

/// <summary><c>dpm protection-group …</c>: data sources protected together under one policy.</summary>
internal static class ProtectionGroupCommands
{
    public static Command Create(ShellContext shell)
    {
        var name = new Argument<string>("NAME") { Description = "The protection group" };
        var retention = new Option<int>("--retention-days") { Description = "Short-term disk retention range, 1-448 days", DefaultValueFactory = _ => 5 };
        var frequency = new Option<int?>("--sync-minutes") { Description = "Minutes between synchronizations (15 30 45 60 120 240 360 720 1440); leave out for just before each recovery point" };
        var times = new Option<string[]>("--recovery-point-time") { Description = "When recovery points are made: 'Daily 20:00' or 'Mon 08:00' (repeat for more)", DefaultValueFactory = _ => ["Daily 20:00"], AllowMultipleArgumentsPerToken = false };
        var sla = new Option<int>("--sla-hours") { Description = "Alert when no recovery point is newer than this", DefaultValueFactory = _ => 24 };
        var compress = new Option<bool>("--compress") { Description = "Compress data on the wire" };
        var create = new Command("new", "Create a protection group") { name, retention, frequency, times, sla, compress, shell.Json };
        create.SetAction((parse, ct) => shell.CallAsync(
            parse,
            (c, t) => c.CreateProtectionGroupAsync(
                new NewProtectionGroupDto
                {
                    Name = parse.GetValue(name)!,
                    Policy = new ProtectionPolicyDto
                    {
                        RetentionDays = parse.GetValue(retention),
                        SynchronizationMinutes = parse.GetValue(frequency),
                        RecoveryPointTimes = parse.GetValue(times)!,
                        SlaHours = parse.GetValue(sla),
                        CompressOnTheWire = parse.GetValue(compress),
                    },
                },
                t),
            group => Render(shell.Console, [group]),
            ct));

        var get = new Command("get", "List protection groups with their policies and members") { shell.Json };
        get.SetAction((parse, ct) => shell.CallAsync(parse, (c, t) => c.GetProtectionGroupsAsync(t), groups => Render(shell.Console, groups), ct));

        var dataSource = new Argument<string>("DATASOURCE") { Description = "The data source id, for example folder:/srv/data" };
        var plugin = new Option<string?>("--plugin") { Description = "The workload plugin (default: the file workload for folders and volumes)" };
        var computer = new Option<string?>("--computer") { Description = "The protected computer whose agent has the data source (default: the server's own)" };
        var add = new Command("add-datasource", "Add a data source to a protection group") { name, dataSource, plugin, computer, shell.Json };
        add.SetAction((parse, ct) => shell.CallAsync(
            parse,
            (c, t) => c.AddToProtectionGroupAsync(parse.GetValue(name)!, new GroupMemberDto { DataSourceId = parse.GetValue(dataSource)!, PluginId = parse.GetValue(plugin), Computer = parse.GetValue(computer) }, t),
            group => Render(shell.Console, [group]),
            ct));

        var remove = new Command("remove-datasource", "Remove a data source from a protection group (its recovery points stay)") { name, dataSource, computer, shell.Json };
        remove.SetAction((parse, ct) => shell.CallAsync(
            parse, (c, t) => c.RemoveFromProtectionGroupAsync(parse.GetValue(name)!, parse.GetValue(dataSource)!, t, parse.GetValue(computer)), group => Render(shell.Console, [group]), ct));

        return new Command("protection-group", "Protection groups: data sources protected together under one policy") { create, get, Set(shell, name), add, remove };
    }

    /// <summary><c>dpm protection-group set NAME …</c>: changes only the policy values given.</summary>
    private static Command Set(ShellContext shell, Argument<string> name)
    {
        var retention = new Option<int?>("--retention-days") { Description = "Short-term disk retention range, 1-448 days" };
        var frequency = new Option<int?>("--sync-minutes") { Description = "Minutes between synchronizations (15 30 45 60 120 240 360 720 1440)" };
        var beforePoint = new Option<bool>("--sync-before-recovery-point") { Description = "Synchronize just before each recovery point instead of on a frequency" };
        var times = new Option<string[]>("--recovery-point-time") { Description = "When recovery points are made: 'Daily 20:00' or 'Mon 08:00' (repeat for more; replaces the old times)" };
        var sla = new Option<int?>("--sla-hours") { Description = "Alert when no recovery point is newer than this" };
        var maxPoints = new Option<int?>("--max-recovery-points") { Description = "Recovery points kept per file data source, 1-64" };
        var maxFulls = new Option<int?>("--max-express-fulls") { Description = "Express fulls kept per application data source, 1-448" };
        var window = new Option<string?>("--consistency-check-window") { Description = "Start of the daily consistency-check window, HH:MM (server time), or 'none'" };
        var windowHours = new Option<int?>("--consistency-check-hours") { Description = "How long the daily consistency-check window lasts, 1-24 hours" };
        var compress = new Option<bool?>("--compress") { Description = "Compress data on the wire: true or false" };
        var set = new Command("set", "Change a protection group's policy: only the values given change")
        {
            name, retention, frequency, beforePoint, times, sla, maxPoints, maxFulls, window, windowHours, compress, shell.Json,
        };
        set.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(frequency) is not null && parse.GetValue(beforePoint))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("dpm: give either --sync-minutes N or --sync-before-recovery-point, not both");
                return 2;
            }

            var start = parse.GetValue(window);
            var none = string.Equals(start, "none", StringComparison.OrdinalIgnoreCase);
            var change = new ProtectionPolicyChangeDto
            {
                RetentionDays = parse.GetValue(retention),
                SynchronizationMinutes = parse.GetValue(frequency),
                SynchronizeBeforeRecoveryPoint = parse.GetValue(beforePoint),
                RecoveryPointTimes = parse.GetValue(times) is { Length: > 0 } given ? given : null,
                SlaHours = parse.GetValue(sla),
                MaxFileRecoveryPoints = parse.GetValue(maxPoints),
                MaxExpressFulls = parse.GetValue(maxFulls),
                ConsistencyCheckWindowStart = none ? null : start,
                NoConsistencyCheckWindow = none,
                ConsistencyCheckWindowMinutes = parse.GetValue(windowHours) * 60,
                CompressOnTheWire = parse.GetValue(compress),
            };
            if (change == new ProtectionPolicyChangeDto())
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("dpm: say what to change, for example --retention-days 10 (see dpm protection-group set --help)");
                return 2;
            }

            return await shell.CallAsync(parse, (c, t) => c.ChangeProtectionGroupAsync(parse.GetValue(name)!, change, t), group => Render(shell.Console, [group]), ct);
        });
        return set;
    }

    private static void Render(IAnsiConsole console, IReadOnlyList<ProtectionGroupInfo> groups)
    {
        if (groups.Count == 0)
        {
            console.WriteLine("No protection groups.");
            return;
        }

        var table = new Table().AddColumns("Group", "Synchronization", "Recovery points", "Retention", "Kept", "Consistency check", "SLA", "Members");
        foreach (var g in groups)
        {
            var sync = g.Policy.SynchronizationMinutes is { } minutes ? string.Create(CultureInfo.InvariantCulture, $"every {minutes} min") : "before each recovery point";
            table.AddRow(
                Markup.Escape(g.Name),
                sync,
                Markup.Escape(string.Join(", ", g.Policy.RecoveryPointTimes)),
                string.Create(CultureInfo.InvariantCulture, $"{g.Policy.RetentionDays} days"),
                string.Create(CultureInfo.InvariantCulture, $"{g.Policy.MaxFileRecoveryPoints} per file data source, {g.Policy.MaxExpressFulls} express fulls"),
                g.Policy.ConsistencyCheckWindowStart is { } start
                    ? string.Create(CultureInfo.InvariantCulture, $"daily {start} for {g.Policy.ConsistencyCheckWindowMinutes / 60.0:0.#} h")
                    : "no daily check",
                string.Create(CultureInfo.InvariantCulture, $"{g.Policy.SlaHours} h"),
                Markup.Escape(string.Join("\n", g.Members)));
        }

        console.Write(table);
    }
}
