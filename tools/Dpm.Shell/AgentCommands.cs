using System.CommandLine;
using System.Globalization;
using Dpm.Management;
using Spectre.Console;

namespace Dpm.Shell;

/// <summary><c>dpm agent …</c>: attaching and removing the agents of protected computers, and throttling their network use.</summary>
internal static class AgentCommands
{
    public static Command Create(ShellContext shell)
    {
        var name = new Argument<string>("computer") { Description = "The computer whose agent attaches" };
        var attach = new Command("attach", "Make a one-time token for a computer's agent to attach with (it expires, and works once)") { name, shell.Json };
        attach.SetAction((parse, ct) => shell.CallAsync(
            parse,
            (c, t) => c.IssueAttachTokenAsync(parse.GetValue(name)!, t),
            token =>
            {
                shell.Console.WriteLine(token.Token);
                shell.Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"On {token.ComputerName}, before {token.ExpiresAt:u}: dpm-agent attach --server {token.AgentUrl} --token {token.Token}"));
            },
            ct));

        var removed = new Argument<string>("computer") { Description = "The computer whose agent is removed" };
        var remove = new Command("remove", "Remove a computer's agent: its certificate is refused at once (its recovery points stay)") { removed, shell.Json };
        remove.SetAction((parse, ct) => shell.CallAsync(parse, (c, t) => c.RemoveAgentAsync(parse.GetValue(removed)!, t), a => shell.Console.WriteLine($"the agent of {a.ComputerName} is removed"), ct));

        var get = new Command("get", "List attached agents: version, last heartbeat, the plugins they loaded, certificate, throttle") { shell.Json };
        get.SetAction((parse, ct) => shell.CallAsync(parse, (c, t) => c.GetAgentsAsync(t), agents => Render(shell.Console, agents), ct));
        return new Command("agent", "Agents of protected computers") { attach, remove, get, Throttle(shell) };
    }

    /// <summary><c>dpm agent throttle NAME …</c>: shows a computer's network bandwidth usage throttling, changing only the values given.</summary>
    private static Command Throttle(ShellContext shell)
    {
        var name = new Argument<string>("computer") { Description = "The protected computer" };
        var workRate = new Option<string?>("--work-rate") { Description = "The limit during work hours, bytes per second or with K, KiB, M, MiB, G, GiB (for example 2MiB); 0 for none" };
        var nonWorkRate = new Option<string?>("--non-work-rate") { Description = "The limit outside work hours, as --work-rate" };
        var workDays = new Option<string?>("--work-days") { Description = "The days with work hours, for example Mon,Tue,Wed,Thu,Fri; or none" };
        var workHours = new Option<string?>("--work-hours") { Description = "Work hours on those days, server time, for example 09:00-17:00 (24:00 is midnight at the end of the day)" };
        var off = new Option<bool>("--off") { Description = "No limit in work hours or out of them (the work hours stay)" };
        var throttle = new Command("throttle", "Show or set a computer's network bandwidth usage throttling: only the values given change")
        {
            name, workRate, nonWorkRate, workDays, workHours, off, shell.Json,
        };
        throttle.SetAction(async (parse, ct) =>
        {
            long? work = null, nonWork = null;
            if (parse.GetValue(workRate) is { } workText && (work = ParseRate(workText)) is null)
            {
                return await shell.WrongUsageAsync($"'{workText}' is not a rate: bytes per second, or with K, KiB, M, MiB, G or GiB (for example 2MiB)");
            }

            if (parse.GetValue(nonWorkRate) is { } nonWorkText && (nonWork = ParseRate(nonWorkText)) is null)
            {
                return await shell.WrongUsageAsync($"'{nonWorkText}' is not a rate: bytes per second, or with K, KiB, M, MiB, G or GiB (for example 10MiB)");
            }

            if (parse.GetValue(off))
            {
                if (work is not null || nonWork is not null)
                {
                    return await shell.WrongUsageAsync("give either --off or rates, not both");
                }

                work = nonWork = 0;
            }

            DayOfWeek[]? days = null;
            if (parse.GetValue(workDays) is { } daysText && (days = ParseDays(daysText)) is null)
            {
                return await shell.WrongUsageAsync($"'{daysText}' is not a list of days: for example Mon,Tue,Wed,Thu,Fri, or none");
            }

            string[]? hours = null;
            if (parse.GetValue(workHours) is { } hoursText && (hours = hoursText.Split('-', StringSplitOptions.TrimEntries)) is not [_, _])
            {
                return await shell.WrongUsageAsync($"'{hoursText}' is not a span of work hours: for example 09:00-17:00");
            }

            var computer = parse.GetValue(name)!;
            return await shell.ConnectAsync(
                parse,
                async (client, t) =>
                {
                    var current = await client.GetThrottleAsync(computer, t);
                    if (!current.Succeeded)
                    {
                        return await shell.RefusedAsync(current.Problem!);
                    }

                    var shown = current.Value!;
                    if (work is not null || nonWork is not null || days is not null || hours is not null)
                    {
                        var changed = await client.SetThrottleAsync(
                            computer,
                            shown with
                            {
                                WorkHoursRate = work ?? shown.WorkHoursRate,
                                NonWorkHoursRate = nonWork ?? shown.NonWorkHoursRate,
                                WorkDays = days ?? shown.WorkDays,
                                WorkStart = hours?[0] ?? shown.WorkStart,
                                WorkEnd = hours?[1] ?? shown.WorkEnd,
                            },
                            t);
                        if (!changed.Succeeded)
                        {
                            return await shell.RefusedAsync(changed.Problem!);
                        }

                        shown = changed.Value!;
                    }

                    await shell.ShowAsync(parse, shown, s => Render(shell.Console, computer, s));
                    return 0;
                },
                ct);
        });
        return throttle;
    }

    /// <summary>Bytes per second from <c>2097152</c>, <c>2MiB</c>, <c>1.5 M</c> or <c>512KiB/s</c>; null when it isn't a rate.</summary>
    private static long? ParseRate(string text)
    {
        var trimmed = text.Trim();
        trimmed = trimmed.EndsWith("/s", StringComparison.OrdinalIgnoreCase) ? trimmed[..^2] : trimmed;
        var digits = trimmed.TakeWhile(c => char.IsAsciiDigit(c) || c == '.').Count();
        var unit = trimmed[digits..].Trim().ToUpperInvariant() switch
        {
            "" or "B" => 1m,
            "K" or "KB" => 1e3m,
            "KIB" => 1L << 10,
            "M" or "MB" => 1e6m,
            "MIB" => 1L << 20,
            "G" or "GB" => 1e9m,
            "GIB" => 1L << 30,
            _ => (decimal?)null,
        };
        return unit is { } multiplier && decimal.TryParse(trimmed[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) && number <= long.MaxValue / multiplier
            ? (long)Math.Round(number * multiplier)
            : null;
    }

    /// <summary>Days from <c>Mon,Tue</c> or <c>Monday,Tuesday</c>, none from <c>none</c>; null when it isn't a list of days.</summary>
    private static DayOfWeek[]? ParseDays(string text)
    {
        if (text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        var days = new List<DayOfWeek>();
        foreach (var word in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var day = Enum.GetValues<DayOfWeek>().Where(d => word.Length >= 3 && d.ToString().StartsWith(word, StringComparison.OrdinalIgnoreCase)).Cast<DayOfWeek?>().FirstOrDefault();
            if (day is null)
            {
                return null;
            }

            days.Add(day.Value);
        }

        return [.. days.Distinct().Order()];
    }

    private static void Render(IAnsiConsole console, string computer, AgentThrottle throttle)
    {
        console.WriteLine($"Network bandwidth usage throttling of {computer}:");
        console.WriteLine(throttle.WorkDays.Count == 0
            ? "  Work hours:          none (the non-work-hours limit applies at all times)"
            : $"  Work hours:          {string.Join(' ', throttle.WorkDays.Select(d => d.ToString()[..3]))}, {throttle.WorkStart}-{throttle.WorkEnd} (server time)");
        console.WriteLine($"  During work hours:   {ShowRate(throttle.WorkHoursRate)}");
        console.WriteLine($"  Outside work hours:  {ShowRate(throttle.NonWorkHoursRate)}");
    }

    private static string ShowRate(long rate) => rate switch
    {
        0 => "no limit",
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{rate / (double)(1L << 30):0.##} GiB/s"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{rate / (double)(1L << 20):0.##} MiB/s"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{rate / (double)(1L << 10):0.##} KiB/s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{rate} bytes/s"),
    };

    private static void Render(IAnsiConsole console, IReadOnlyList<AgentInfo> agents)
    {
        if (agents.Count == 0)
        {
            console.WriteLine("No agents attached.");
            return;
        }

        var table = new Table().AddColumns("Computer", "State", "Version", "Last heartbeat", "Plugins", "Certificate", "Throttle (work hours / other)");
        foreach (var agent in agents)
        {
            table.AddRow(
                Markup.Escape(agent.ComputerName),
                agent.Revoked ? "[red]removed[/]" : "attached",
                Markup.Escape(agent.Version ?? "-"),
                agent.LastHeartbeat is { } seen ? seen.ToString("u", CultureInfo.InvariantCulture) : "never",
                Markup.Escape(agent.Plugins.Count == 0 ? "-" : string.Join(", ", agent.Plugins)),
                Markup.Escape(agent.CertificateThumbprint?[..16] ?? "-"),
                agent.Throttle is { } throttle ? $"{ShowRate(throttle.WorkHoursRate)} / {ShowRate(throttle.NonWorkHoursRate)}" : "-");
        }

        console.Write(table);
    }
}
