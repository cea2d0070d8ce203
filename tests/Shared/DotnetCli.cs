using System.Diagnostics;

namespace Dpm.Tests;

/// <summary>The dotnet CLI as a partner runs it (new, build, test, pack), on the repository's own projects or on made ones.</summary>
public static class DotnetCli
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n{Output}\n{Error}";
    }

    /// <summary>The repository this test was built from.</summary>
    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "DpmPlugins.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"no DpmPlugins.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>The configuration this test was built in (the solution's projects were built in the same).</summary>
    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    /// <summary>Runs <c>dotnet ARGS</c> in <paramref name="workingDirectory"/>; no build servers are left running.</summary>
    public static async Task<Result> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} ran for 10 minutes:\n{await output}\n{await error}");
        }

        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>
    /// Packs a project of the repository, already built by the solution's build, into <paramref name="feed"/>. Nothing
    /// is written inside the repository, so test projects may pack the same project at once.
    /// </summary>
    public static async Task<string> PackAsync(string project, string feed)
    {
        var result = await RunAsync(
            RepositoryRoot(),
            null,
            "pack", project, "--no-build", "-c", Configuration, "-o", feed, $"-p:NuspecOutputPath={Path.Combine(feed, "nuspec", Path.GetFileName(project))}/", "-p:NuGetAudit=false", "--disable-build-servers");
        Assert.True(result.ExitCode == 0, $"dotnet pack {project} failed: {result}");
        return feed;
    }
}
