using Dpm.Shell;
using Spectre.Console;

var console = AnsiConsole.Console;
if (Console.IsOutputRedirected)
{
    // A pipe has no width: keep table rows whole for grep and friends unless COLUMNS says otherwise.
    console.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0 ? columns : 240;
}

return await DpmShell.RunAsync(args, console, Console.Out, Console.Error);
