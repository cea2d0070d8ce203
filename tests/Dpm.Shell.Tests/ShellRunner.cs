using Dpm.Tests;

namespace Dpm.Shell.Tests;

/// <summary>Runs the real dpm command as a separate process, with no DPM_SERVER from the environment.</summary>
public static class ShellRunner
{
    public static Task<ProcessRunner.Result> RunAsync(params string[] args) =>
        ProcessRunner.RunAsync("dpm.dll", new Dictionary<string, string?> { ["DPM_SERVER"] = null }, args);
}
