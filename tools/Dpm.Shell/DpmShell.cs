using System.CommandLine;
using System.Net.Sockets;
using System.Text.Json;
using Dpm.Management;
using Spectre.Console;

namespace Dpm.Shell;

/// <summary>
/// The dpm command: DPM's management verbs as sub-commands. Tables for people, <c>--json</c> for scripts.
/// Exit codes: 0 done, 1 the server refused (the message says why), 2 the server can't be reached or the
/// command line is wrong.
/// </summary>
public static class DpmShell
{
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, TextWriter output, TextWriter error)
    {
        var server = new Option<string>("--server")
        {
            Description = "The server's management URL (or set DPM_SERVER)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DPM_SERVER") is { Length: > 0 } url ? url : DpmManagementClient.DefaultServerUrl,
            Recursive = true,
        };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var context = new ShellContext(server, json, console, output, error);

        var root = new RootCommand("dpm: manage a DpmPlugins server")
        {
            server,
            PluginCommands.Create(context),
            LicenceCommands.Create(context),
            PoolCommands.Create(context),
            AgentCommands.Create(context),
            ProtectionGroupCommands.Create(context),
            ReportCommands.Create(context),
        };
        foreach (var command in ProtectionCommands.Create(context).Concat(CatalogCommands.Create(context)))
        {
            root.Subcommands.Add(command);
        }

        var parse = root.Parse(args);
        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }
}

/// <summary>What every command needs: the options, the consoles, and a way to call the server.</summary>
internal sealed class ShellContext(Option<string> server, Option<bool> json, IAnsiConsole console, TextWriter output, TextWriter error)
{
    public Option<bool> Json { get; } = json;

    public IAnsiConsole Console { get; } = console;

    public TextWriter Output { get; } = output;

    /// <summary>Runs a call against the server and turns its outcome into output and an exit code.</summary>
    public Task<int> CallAsync<T>(
        ParseResult parse,
        Func<DpmManagementClient, CancellationToken, Task<ApiResult<T>>> call,
        Action<T> render,
        CancellationToken cancellationToken) =>
        ConnectAsync(
            parse,
            async (client, ct) =>
            {
                var result = await call(client, ct);
                if (!result.Succeeded)
                {
                    return await RefusedAsync(result.Problem!);
                }

                await ShowAsync(parse, result.Value!, render);
                return 0;
            },
            cancellationToken);

    /// <summary>
    /// Runs a conversation with the server (one call or several) and turns a server that can't be reached, or that
    /// doesn't answer in time, into a message and exit code 2.
    /// </summary>
    public async Task<int> ConnectAsync(ParseResult parse, Func<DpmManagementClient, CancellationToken, Task<int>> conversation, CancellationToken cancellationToken)
    {
        var url = parse.GetValue(server)!;
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
        {
            await error.WriteLineAsync($"dpm: '{url}' is not a server URL (for example {DpmManagementClient.DefaultServerUrl})");
            return 2;
        }

        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(100) };
        try
        {
            return await conversation(new DpmManagementClient(http), cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            var why = ex.InnerException is SocketException socket ? socket.Message : ex.Message;
            await error.WriteLineAsync($"dpm: can't reach the server at {url}: {why}. Is it running? Start it with: dotnet run --project host/Dpm.Server");
            return 2;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync($"dpm: the server at {url} did not answer in time");
            return 2;
        }
    }

    /// <summary>Says why the server refused; returns exit code 1.</summary>
    public async Task<int> RefusedAsync(ApiProblem problem)
    {
        await error.WriteLineAsync($"dpm: {problem.Detail ?? problem.Title}");
        return 1;
    }

    /// <summary>Complains about the command line; returns exit code 2.</summary>
    public async Task<int> WrongUsageAsync(string message)
    {
        await error.WriteLineAsync($"dpm: {message}");
        return 2;
    }

    /// <summary>Shows a value: as JSON with <c>--json</c>, rendered for people otherwise.</summary>
    public async Task ShowAsync<T>(ParseResult parse, T value, Action<T> render)
    {
        if (parse.GetValue(Json))
        {
            await Output.WriteLineAsync(JsonSerializer.Serialize(value, ManagementJson.Options));
        }
        else
        {
            render(value);
        }
    }
}
