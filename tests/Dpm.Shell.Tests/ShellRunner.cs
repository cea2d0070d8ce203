using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using Dpm.Tests;

namespace Dpm.Shell.Tests;

/// <summary>Runs the real dpm command as a separate process, with no DPM_SERVER from the environment.</summary>
public static class ShellRunner
{
    public static Task<ProcessRunner.Result> RunAsync(params string[] args) =>
        ProcessRunner.RunAsync("dpm.dll", new Dictionary<string, string?> { ["DPM_SERVER"] = null }, args);

    /// <summary>Starts the dpm command without waiting for it to end: its output can be waited for while it runs.</summary>
    public static RunningShell Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dpm.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DPM_SERVER"] = null;
        return new RunningShell(Process.Start(start)!);
    }
}

/// <summary>A dpm command that runs: its output line by line as it comes, then its exit.</summary>
public sealed class RunningShell : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _output = new();
    private readonly Task _reading;
    private readonly Task<string> _error;

    internal RunningShell(Process process)
    {
        _process = process;
        _error = process.StandardError.ReadToEndAsync();
        _reading = ReadAsync();
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }

            _lines.Writer.TryWrite(line);
        }

        _lines.Writer.TryComplete();
    }

    /// <summary>Waits (at most a minute) until the command has written a line containing <paramref name="text"/>; fails if it ends first.</summary>
    public async Task WaitForOutputAsync(string text)
    {
        using var timeout = new CancellationTokenSource(Patience);
        await foreach (var line in _lines.Reader.ReadAllAsync(timeout.Token))
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                return;
            }
        }

        Assert.Fail($"the command ended without writing '{text}': {_output}{await _error}");
    }

    /// <summary>Waits (at most a minute) for the command to end.</summary>
    public async Task<ProcessRunner.Result> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        await _process.WaitForExitAsync(timeout.Token);
        await _reading;
        return new ProcessRunner.Result(_process.ExitCode, _output.ToString(), await _error);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}
