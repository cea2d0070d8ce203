using System.Diagnostics;

namespace Dpm.Workloads.Files.Tests.Support;

/// <summary>Runs the few system commands the tests need (mkfs, mount, setfacl).</summary>
public static class Shell
{
    public static bool Exists(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Concat(["/usr/sbin", "/sbin"])
            .Any(dir => File.Exists(Path.Combine(dir, command)));

    public static string Run(string command, params string[] args)
    {
        var (code, output) = TryRun(command, args);
        return code == 0 ? output : throw new InvalidOperationException($"{command} {string.Join(' ', args)} exited with {code}: {output}");
    }

    public static (int ExitCode, string Output) TryRun(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} {string.Join(' ', args)} did not finish");
        }

        return (process.ExitCode, output + error.Result);
    }
}
