using System.CommandLine;
using System.Globalization;
using Dpm.Management;
using Spectre.Console;

namespace Dpm.Shell;

/// <summary><c>dpm agent …</c>: attaching and removing the agents of protected computers.</summary>
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

        var get = new Command("get", "List attached agents: version, last heartbeat, the plugins they loaded, certificate") { shell.Json };
        get.SetAction((parse, ct) => shell.CallAsync(parse, (c, t) => c.GetAgentsAsync(t), agents => Render(shell.Console, agents), ct));
        return new Command("agent", "Agents of protected computers") { attach, remove, get };
    }

    private static void Render(IAnsiConsole console, IReadOnlyList<AgentInfo> agents)
    {
        if (agents.Count == 0)
        {
            console.WriteLine("No agents attached.");
            return;
        }

        var table = new Table().AddColumns("Computer", "State", "Version", "Last heartbeat", "Plugins", "Certificate");
        foreach (var agent in agents)
        {
            table.AddRow(
                Markup.Escape(agent.ComputerName),
                agent.Revoked ? "[red]removed[/]" : "attached",
                Markup.Escape(agent.Version ?? "-"),
                agent.LastHeartbeat is { } seen ? seen.ToString("u", CultureInfo.InvariantCulture) : "never",
                Markup.Escape(agent.Plugins.Count == 0 ? "-" : string.Join(", ", agent.Plugins)),
                Markup.Escape(agent.CertificateThumbprint?[..16] ?? "-"));
        }

        console.Write(table);
    }
}
