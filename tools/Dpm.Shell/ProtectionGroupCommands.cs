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
        var add = new Command("add-datasource", "Add a data source to a protection group") { name, dataSource, plugin, shell.Json };
        add.SetAction((parse, ct) => shell.CallAsync(
            parse,
            (c, t) => c.AddToProtectionGroupAsync(parse.GetValue(name)!, new GroupMemberDto { DataSourceId = parse.GetValue(dataSource)!, PluginId = parse.GetValue(plugin) }, t),
            group => Render(shell.Console, [group]),
            ct));

        var remove = new Command("remove-datasource", "Remove a data source from a protection group (its recovery points stay)") { name, dataSource, shell.Json };
        remove.SetAction((parse, ct) => shell.CallAsync(
            parse, (c, t) => c.RemoveFromProtectionGroupAsync(parse.GetValue(name)!, parse.GetValue(dataSource)!, t), group => Render(shell.Console, [group]), ct));

        return new Command("protection-group", "Protection groups: data sources protected together under one policy") { create, get, add, remove };
    }

    private static void Render(IAnsiConsole console, IReadOnlyList<ProtectionGroupInfo> groups)
    {
        if (groups.Count == 0)
        {
            console.WriteLine("No protection groups.");
            return;
        }

        var table = new Table().AddColumns("Group", "Synchronization", "Recovery points", "Retention", "SLA", "Members");
        foreach (var g in groups)
        {
            var sync = g.Policy.SynchronizationMinutes is { } minutes ? string.Create(CultureInfo.InvariantCulture, $"every {minutes} min") : "before each recovery point";
            table.AddRow(
                Markup.Escape(g.Name),
                sync,
                Markup.Escape(string.Join(", ", g.Policy.RecoveryPointTimes)),
                string.Create(CultureInfo.InvariantCulture, $"{g.Policy.RetentionDays} days"),
                string.Create(CultureInfo.InvariantCulture, $"{g.Policy.SlaHours} h"),
                Markup.Escape(string.Join("\n", g.Members)));
        }

        console.Write(table);
    }
}
