using System.CommandLine;
using System.Globalization;
using Dpm.Management;
using Spectre.Console;

namespace Dpm.Shell;

/// <summary>
/// <c>dpm job get|watch|cancel</c>: DPM's jobs — every synchronization, check, recovery… with its result, one job's
/// progress watched until it ends, and a cancel for one that runs.
/// </summary>
internal static class JobCommands
{
    /// <summary>How often <c>dpm job watch</c> asks the server for the job again.</summary>
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(500);

    private static CultureInfo Culture => CultureInfo.InvariantCulture;

    public static Command Create(ShellContext shell)
    {
        var get = new Command("get", "List jobs, newest first") { shell.Json };
        get.SetAction((parse, ct) => shell.CallAsync(parse, (c, t) => c.GetJobsAsync(t), list => Render(shell.Console, list), ct));

        var watchId = new Argument<string>("ID") { Description = "The job's id, as 'dpm job get' lists it" };
        var watch = new Command("watch", "Show a job's progress until it ends (exit code 0: it succeeded; 3: it failed or was cancelled)") { watchId, shell.Json };
        watch.SetAction((parse, ct) => WatchAsync(shell, parse, parse.GetValue(watchId)!, ct));

        var cancelId = new Argument<string>("ID") { Description = "The job's id, as 'dpm job get' lists it" };
        var cancel = new Command("cancel", "Ask for a queued or running job to be cancelled, whichever server of the catalog runs it") { cancelId, shell.Json };
        cancel.SetAction((parse, ct) => Guid.TryParse(parse.GetValue(cancelId), out var id)
            ? shell.CallAsync(parse, (c, t) => c.CancelJobAsync(id, t), job => RenderCancel(shell.Console, job), ct)
            : shell.WrongUsageAsync(NotAJobId(parse.GetValue(cancelId)!)));

        return new Command("job", "Jobs: every synchronization, check, recovery… with its result and its progress while it runs") { get, watch, cancel };
    }

    private static string NotAJobId(string text) => $"'{text}' is not a job id (a GUID, as 'dpm job get' lists them)";

    /// <summary>Follows a job until it ends: a progress bar (none with <c>--json</c>), then how it ended.</summary>
    private static async Task<int> WatchAsync(ShellContext shell, ParseResult parse, string text, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(text, out var id))
        {
            return await shell.WrongUsageAsync(NotAJobId(text));
        }

        return await shell.ConnectAsync(
            parse,
            async (client, ct) =>
            {
                var answer = await client.GetJobAsync(id, ct);
                if (answer.Succeeded && !answer.Value!.HasEnded)
                {
                    if (parse.GetValue(shell.Json))
                    {
                        answer = await WaitForEndAsync(client, answer.Value, _ => { }, ct);
                    }
                    else
                    {
                        var job = answer.Value;
                        shell.Console.MarkupLineInterpolated(
                            $"Watching job {job.Id}: {job.Type} of {job.DataSourceId ?? "(no data source)"} on {job.Server ?? "?"}, started {job.StartedAt?.ToString("u", Culture) ?? "?"}");
                        answer = await shell.Console.Progress()
                            .AutoClear(false)
                            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 24 }, new ElapsedTimeColumn(), new SpinnerColumn())
                            .StartAsync(async progress =>
                            {
                                var task = progress.AddTask(Describe(job));
                                Show(task, job);
                                var ended = await WaitForEndAsync(client, job, update => Show(task, update), ct);
                                task.StopTask();
                                return ended;
                            });
                    }
                }

                if (!answer.Succeeded)
                {
                    return await shell.RefusedAsync(answer.Problem!);
                }

                await shell.ShowAsync(parse, answer.Value!, job => RenderEnd(shell.Console, job));
                return answer.Value!.State == "Succeeded" ? 0 : 3;
            },
            cancellationToken);
    }

    /// <summary>Asks for the job again and again until it has ended (or the server refuses), telling each answer.</summary>
    private static async Task<ApiResult<JobInfo>> WaitForEndAsync(DpmManagementClient client, JobInfo job, Action<JobInfo> update, CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(WatchInterval, cancellationToken);
            var answer = await client.GetJobAsync(job.Id, cancellationToken);
            if (!answer.Succeeded || answer.Value!.HasEnded)
            {
                return answer;
            }

            update(answer.Value);
        }
    }

    private static void Show(ProgressTask task, JobInfo job)
    {
        task.Description = Describe(job);
        if (job.BytesTotal is > 0 and var total)
        {
            task.IsIndeterminate = false;
            task.MaxValue = total;
            task.Value = Math.Min(job.BytesDone, total);
        }
        else
        {
            task.IsIndeterminate = true;
        }
    }

    /// <summary>What the progress bar says (short enough for an 80-column terminal): items and bytes done (of the total when known), the item it is at.</summary>
    private static string Describe(JobInfo job)
    {
        var bytes = job.BytesTotal is > 0 and var total
            ? string.Create(Culture, $"{ProtectionCommands.Size(job.BytesDone)} of {ProtectionCommands.Size(total)} ({100.0 * job.BytesDone / total:0}%)")
            : ProtectionCommands.Size(job.BytesDone);
        var at = job.CurrentItem is { Length: > 0 } item ? " · " + (item.Length > 28 ? "…" + item[^27..] : item) : "";
        var cancelling = job.CancelRequested ? " · cancelling" : "";
        return Markup.Escape(string.Create(Culture, $"{job.ItemsDone} items, {bytes}{at}{cancelling}"));
    }

    private static void RenderEnd(IAnsiConsole console, JobInfo job)
    {
        var took = job is { StartedAt: { } start, EndedAt: { } end } ? string.Create(Culture, $" in {(end - start).TotalSeconds:0.0} s") : "";
        var done = string.Create(Culture, $"{job.ItemsDone} items, {ProtectionCommands.Size(job.BytesDone)}{took}");
        switch (job.State)
        {
            case "Succeeded":
                console.MarkupLineInterpolated($"Job {job.Id} [green]Succeeded[/]: {done}");
                break;
            case "Cancelled":
                console.MarkupLineInterpolated($"Job {job.Id} [yellow]Cancelled[/] ({job.Error ?? "cancelled"}) after {done}; no recovery point was made");
                break;
            default:
                console.MarkupLineInterpolated($"Job {job.Id} [red]{job.State}[/]: {job.Error ?? "no reason given"} (after {done})");
                break;
        }
    }

    private static void RenderCancel(IAnsiConsole console, JobInfo job) =>
        console.MarkupLineInterpolated(
            $"Cancel requested for job {job.Id} ({job.Type} of {job.DataSourceId ?? "(no data source)"} on {job.Server ?? "?"}): it stops at its next step; 'dpm job watch {job.Id}' shows when it has ended");

    private static void Render(IAnsiConsole console, IReadOnlyList<JobInfo> jobs)
    {
        var table = new Table().AddColumns("Id", "Job", "State", "Data source", "Started", "Took", "Items", "Bytes", "Error");
        foreach (var j in jobs)
        {
            var state = j.State switch { "Failed" => "[red]Failed[/]", "Succeeded" => "[green]Succeeded[/]", "Cancelled" => "[yellow]Cancelled[/]", _ => Markup.Escape(j.State) };
            var took = j is { StartedAt: { } start, EndedAt: { } end } ? string.Create(Culture, $"{(end - start).TotalSeconds:0.0} s") : "";
            table.AddRow(
                j.Id.ToString(), Markup.Escape(j.Type), state, Markup.Escape(j.DataSourceId ?? ""), j.StartedAt?.ToString("u", Culture) ?? "", took,
                j.ItemsDone.ToString(Culture), ProtectionCommands.Size(j.BytesDone), Markup.Escape(j.Error ?? ""));
        }

        console.Write(table);
    }
}
