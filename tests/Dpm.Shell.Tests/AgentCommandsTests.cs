using System.Text.Json;
using Dpm.Management;
using Dpm.Tests;

namespace Dpm.Shell.Tests;

/// <summary>'dpm agent throttle' against a real server: a computer's network bandwidth usage throttling shown, changed value by value, and refused with the reason.</summary>
public sealed class AgentCommandsTests
{
    private const string Computer = "fileserver1";

    /// <summary>A server that protects a folder of its own, on a computer of a name the test knows.</summary>
    private static async Task<RunningServer> StartProtectingAsync()
    {
        var server = await RunningServer.StartAsync([RunningServer.Unscheduled, $"--Dpm:ComputerName={Computer}"], "Dpm.Storage.Disk", "Dpm.Workloads.Files");
        var data = Directory.CreateDirectory(Path.Combine(server.Root, "protected")).FullName;
        File.WriteAllText(Path.Combine(data, "report.txt"), "quarterly numbers");
        Assert.Equal(0, (await ShellRunner.RunAsync("--server", server.Url, "datasource", "sync", "folder:" + data)).ExitCode);
        return server;
    }

    private static AgentThrottle Parse(ProcessRunner.Result result)
    {
        Assert.True(result.ExitCode == 0, result.Error);
        return JsonSerializer.Deserialize<AgentThrottle>(result.Output, ManagementJson.Options)!;
    }

    [Fact]
    public async Task Throttle_SetValueByValue_OnlyTheGivenValuesChange_AndShowSaysSo()
    {
        await using var server = await StartProtectingAsync();

        var initial = Parse(await ShellRunner.RunAsync("--server", server.Url, "agent", "throttle", Computer, "--json"));
        var work = await ShellRunner.RunAsync("--server", server.Url, "agent", "throttle", Computer, "--work-rate", "2MiB", "--work-hours", "08:30-18:00");
        var nonWork = Parse(await ShellRunner.RunAsync("--server", server.Url, "agent", "throttle", Computer, "--non-work-rate", "10M", "--work-days", "Sat,sunday", "--json"));
        var shown = await ShellRunner.RunAsync("--server", server.Url, "agent", "throttle", Computer);
        var off = Parse(await ShellRunner.RunAsync("--server", server.Url, "agent", "throttle", Computer, "--off", "--json"));
        var noDays = await ShellRunner.RunAsync("--server", server.Url, "agent", "throttle", Computer, "--work-days", "none", "--work-rate", "512KiB/s");

        Assert.Equal((0L, 0L, "09:00", "17:00"), (initial.WorkHoursRate, initial.NonWorkHoursRate, initial.WorkStart, initial.WorkEnd));
        Assert.Equal([DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday], initial.WorkDays);
        Assert.Equal(0, work.ExitCode);
        Assert.Contains($"Network bandwidth usage throttling of {Computer}:", work.Output, StringComparison.Ordinal);
        Assert.Contains("Work hours:          Mon Tue Wed Thu Fri, 08:30-18:00 (server time)", work.Output, StringComparison.Ordinal);
        Assert.Contains("During work hours:   2 MiB/s", work.Output, StringComparison.Ordinal);
        Assert.Contains("Outside work hours:  no limit", work.Output, StringComparison.Ordinal);
        Assert.Equal((2L << 20, 10_000_000L, "08:30", "18:00"), (nonWork.WorkHoursRate, nonWork.NonWorkHoursRate, nonWork.WorkStart, nonWork.WorkEnd));
        Assert.Equal([DayOfWeek.Sunday, DayOfWeek.Saturday], nonWork.WorkDays);
        Assert.Contains("Work hours:          Sun Sat, 08:30-18:00 (server time)", shown.Output, StringComparison.Ordinal);
        Assert.Contains("Outside work hours:  9.54 MiB/s", shown.Output, StringComparison.Ordinal);
        Assert.Equal((0L, 0L), (off.WorkHoursRate, off.NonWorkHoursRate));
        Assert.Equal([DayOfWeek.Sunday, DayOfWeek.Saturday], off.WorkDays);
        Assert.Equal(0, noDays.ExitCode);
        Assert.Contains("Work hours:          none (the non-work-hours limit applies at all times)", noDays.Output, StringComparison.Ordinal);
        Assert.Contains("During work hours:   512 KiB/s", noDays.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Throttle_RefusedValues_ChangeNothing_AndSayWhy()
    {
        await using var server = await StartProtectingAsync();
        var before = Parse(await ShellRunner.RunAsync("--server", server.Url, "agent", "throttle", Computer, "--work-rate", "1MiB", "--json"));

        var tooSlow = await ShellRunner.RunAsync("--server", server.Url, "agent", "throttle", Computer, "--work-rate", "1000", "--non-work-rate", "8MiB");
        var backwards = await ShellRunner.RunAsync("--server", server.Url, "agent", "throttle", Computer, "--work-hours", "17:00-09:00", "--work-rate", "4MiB");
        var lateStart = await ShellRunner.RunAsync("--server", server.Url, "agent", "throttle", Computer, "--work-hours", "24:00-24:00");
        var notARate = await ShellRunner.RunAsync("--server", server.Url, "agent", "throttle", Computer, "--work-rate", "fast");
        var notADay = await ShellRunner.RunAsync("--server", server.Url, "agent", "throttle", Computer, "--work-days", "Mon,Funday");
        var both = await ShellRunner.RunAsync("--server", server.Url, "agent", "throttle", Computer, "--off", "--work-rate", "4MiB");
        var unknown = await ShellRunner.RunAsync("--server", server.Url, "agent", "throttle", "laptop7", "--work-rate", "4MiB");
        var after = Parse(await ShellRunner.RunAsync("--server", server.Url, "agent", "throttle", Computer, "--json"));

        Assert.Equal(1, tooSlow.ExitCode);
        Assert.Contains("dpm: the work hours rate is at least 64 KiB/s (65536 bytes/s), or 0 for no limit", tooSlow.Error, StringComparison.Ordinal);
        Assert.Equal(1, backwards.ExitCode);
        Assert.Contains("dpm: work hours must start before they end, on the same day (17:00-09:00 doesn't", backwards.Error, StringComparison.Ordinal);
        Assert.Equal(1, lateStart.ExitCode);
        Assert.Contains("work hours start at a time of day, HH:mm from 00:00 to 23:59, not '24:00'", lateStart.Error, StringComparison.Ordinal);
        Assert.Equal(2, notARate.ExitCode);
        Assert.Contains("'fast' is not a rate", notARate.Error, StringComparison.Ordinal);
        Assert.Equal(2, notADay.ExitCode);
        Assert.Contains("'Mon,Funday' is not a list of days", notADay.Error, StringComparison.Ordinal);
        Assert.Equal(2, both.ExitCode);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("dpm: this server protects no computer named 'laptop7' (attach its agent first: dpm agent attach laptop7)", unknown.Error, StringComparison.Ordinal);
        Assert.Equal((1L << 20, 0L, "09:00", "17:00"), (after.WorkHoursRate, after.NonWorkHoursRate, after.WorkStart, after.WorkEnd));
        Assert.Equal(before.WorkDays, after.WorkDays);
    }
}
