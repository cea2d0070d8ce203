using System.Text;
using Dpm.Contracts.Workloads;
using Dpm.Core.Hosting;
using Dpm.Core.Licensing;
using Dpm.Core.Plugins;
using Dpm.Management;
using Dpm.Reporting;
using Dpm.Server.Agents;
using Dpm.Server.Protection;
using Dpm.Server.Reporting;
using Dpm.Server.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dpm.Server;

/// <summary>Server health and where it keeps its data.</summary>
public sealed record ServerHealth(string Status, string Version, string Computer, string DataDirectory, string PluginsDirectory);

/// <summary>The management API (HTTP/JSON) that the dpm shell and scripts use.</summary>
internal static class ManagementApi
{
    private const int MaxLicenceBytes = 64 * 1024;

    public static void MapManagementApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");

        api.MapGet("/health", (IOptions<DpmHostOptions> host, IOptions<PluginManagerOptions> plugins) => new ServerHealth(
                "ok",
                typeof(DpmServer).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
                host.Value.ComputerName,
                host.Value.DataDirectory,
                plugins.Value.Directory))
            .WithSummary("Server health, version and data directory");

        api.MapGet("/plugins", (PluginManager plugins) => plugins.GetPlugins())
            .WithSummary("Every plugin folder with its status and the reason for it");

        api.MapPost("/plugins/scan", async (PluginManager plugins, CancellationToken ct) =>
            {
                await plugins.LoadAllAsync(ct);
                return plugins.GetPlugins();
            })
            .WithSummary("Loads the plugin folders added to the plugins directory since the server started; the plugins already loaded stay as they are");

        api.MapGet("/licences", (LicenceService licences) => licences.GetState())
            .WithSummary("Licence mode, installed licences, tier capacity and consumption");

        api.MapPost("/licences", InstallLicenceAsync)
            .Accepts<string>("text/plain")
            .Produces<InstalledLicence>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("Installs a licence file (its text as the body); refuses forged, tampered or expired ones");

        api.MapDelete("/licences/{id}", async (string id, LicenceService licences, PluginManager plugins, CancellationToken ct) =>
            {
                if (!licences.Remove(id))
                {
                    return Results.Problem(title: "no such licence", detail: $"no installed licence has id '{id}'", statusCode: StatusCodes.Status404NotFound);
                }

                await plugins.ApplyLicenceChangeAsync(ct);
                return Results.NoContent();
            })
            .WithSummary("Removes an installed licence");

        api.MapGet("/datasources", (string? parent, ProtectionService protection, CancellationToken ct) => protection.InquireAsync(parent, ct))
            .WithSummary("Discovers data sources with every active workload plugin on this computer (children of 'parent' when given)");

        api.MapPost("/datasources/sync", async (SynchronizationRequestDto request, ProtectionService protection, CancellationToken ct) => ToResult(await protection.SynchronizeAsync(request, ct)))
            .Produces<SynchronizationOutcome>()
            .WithSummary("Synchronizes a data source now: replica creation the first time, an express full after; makes a recovery point");

        api.MapPost("/datasources/check", async (ConsistencyCheckRequestDto request, ProtectionService protection, CancellationToken ct) => ToResult(await protection.CheckConsistencyAsync(request, ct)))
            .Produces<ConsistencyCheckResultDto>()
            .WithSummary("Checks a data source against its replica (light: metadata; heavy: all data too) and repairs the replica with a new recovery point");

        api.MapGet("/recoverypoints", async (string? dataSource, ProtectionService protection, CancellationToken ct) => ToResult(await protection.ListRecoveryPointsAsync(dataSource, ct)))
            .Produces<IReadOnlyList<RecoveryPointSummary>>()
            .WithSummary("Lists recovery points, of one data source or all, oldest first");

        api.MapGet("/recoverypoints/{id}/items", async (string id, string? path, string? search, ProtectionService protection, CancellationToken ct) =>
                ToResult(await protection.ListRecoverableItemsAsync(id, path ?? "", search, ct)))
            .Produces<IReadOnlyList<RecoverableItem>>()
            .WithSummary("Browses the recoverable items of a recovery point below a path, or searches them by name");

        api.MapPost("/recover", async (RecoveryRequestDto request, ProtectionService protection, CancellationToken ct) => ToResult(await protection.RecoverAsync(request, ct)))
            .Produces<RecoveryResult>()
            .WithSummary("Recovers a whole data source or chosen items to the original location, an alternate location or a folder");

        api.MapGet("/pool", (ProtectionService protection, CancellationToken ct) => protection.GetPoolAsync(ct))
            .WithSummary("The storage pool: where it is, whether it is open, its space");

        api.MapPost("/pool/verify", async (double? fraction, ProtectionService protection, CancellationToken ct) => ToResult(await protection.VerifyAsync(fraction ?? 1.0, ct)))
            .Produces<PoolVerification>()
            .WithSummary("Re-reads the storage pool and names every damaged recovery point");

        api.MapGet("/alerts", async (bool? all, CatalogHost catalog, CancellationToken ct) => (await catalog.Alerts.ListAsync(all ?? false, ct)).Select(ToInfo).ToList())
            .WithSummary("Alerts: the active ones, or (all=true) the resolved ones too");
        api.MapPost("/alerts/{id}/resolve", ResolveAlertAsync)
            .Produces<AlertInfo>()
            .WithSummary("Resolves an active alert with what the operator did about it");

        api.MapGet("/protection-groups", (ProtectionGroupService groups, CancellationToken ct) => groups.ListAsync(ct))
            .WithSummary("Protection groups with their policies and members");
        api.MapPost("/protection-groups", async (NewProtectionGroupDto request, ProtectionGroupService groups, ProtectionScheduler scheduler, CancellationToken ct) =>
                await PlannedAsync(await groups.CreateAsync(request, ct), scheduler, ct))
            .WithSummary("Create a protection group");
        api.MapPatch("/protection-groups/{name}", async (string name, ProtectionPolicyChangeDto change, ProtectionGroupService groups, ProtectionScheduler scheduler, CancellationToken ct) =>
                await PlannedAsync(await groups.ChangePolicyAsync(name, change, ct), scheduler, ct))
            .Produces<ProtectionGroupInfo>()
            .WithSummary("Change only the given values of a protection group's policy (checked as a new group's policy; nothing changes when refused)");
        api.MapPost("/protection-groups/{name}/datasources", async (string name, GroupMemberDto member, ProtectionGroupService groups, ProtectionScheduler scheduler, CancellationToken ct) =>
                await PlannedAsync(await groups.AddMemberAsync(name, member, ct), scheduler, ct))
            .WithSummary("Add a data source to a protection group (a data source belongs to one group)");
        api.MapDelete("/protection-groups/{name}/datasources", async (string name, string id, string? computer, ProtectionGroupService groups, ProtectionScheduler scheduler, CancellationToken ct) =>
                await PlannedAsync(await groups.RemoveMemberAsync(name, id, computer, ct), scheduler, ct))
            .WithSummary("Remove a data source from a protection group; its recovery points stay");

        api.MapGet("/jobs", async (CatalogHost catalog, CancellationToken ct) => (await catalog.Jobs.ListAsync(200, ct)).Select(ToInfo).ToList())
            .WithSummary("The newest 200 jobs, newest first");

        api.MapGet("/jobs/{id}", async (string id, CatalogHost catalog, CancellationToken ct) =>
                Guid.TryParse(id, out var jobId) && await catalog.Jobs.GetAsync(jobId, ct) is { } job ? Results.Ok(ToInfo(job)) : NoSuchJob(id))
            .Produces<JobInfo>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One job, with its progress while it runs");

        api.MapPost("/jobs/{id}/cancel", async (string id, RunningJobs jobs, CancellationToken ct) =>
                Guid.TryParse(id, out var jobId) ? ToResult(await jobs.CancelAsync(jobId, ct), ToInfo) : NoSuchJob(id))
            .Produces<JobInfo>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Asks for a queued or running job to be cancelled, whichever server of the catalog runs it; a job that ended is refused");

        api.MapPost("/agents/{name}/attach-token", async (string name, AgentListener agents, IOptions<AgentOptions> options, TimeProvider time, CancellationToken ct) =>
            {
                if (string.IsNullOrWhiteSpace(name) || name.Length > 200 || name.Any(c => char.IsControl(c) || c is '/' or ','))
                {
                    return Results.Problem(title: "bad request", detail: $"'{name}' is not a computer name", statusCode: StatusCodes.Status400BadRequest);
                }

                var lifetime = TimeSpan.FromMinutes(options.Value.TokenLifetimeMinutes);
                var token = await agents.Tokens.IssueAsync(name, lifetime, agents.Authority.Pin, ct);
                return Results.Ok(new AttachTokenInfo(name, token, time.GetUtcNow() + lifetime, agents.Url));
            })
            .Produces<AttachTokenInfo>()
            .WithSummary("A one-time token for the agent of a computer to attach with (dpm-agent attach --server URL --token T); it expires and works once");
        api.MapDelete("/agents/{name}", async (string name, CatalogHost catalog, TimeProvider time, CancellationToken ct) =>
            {
                await using var context = catalog.Open();
                if (await context.Computers.FindAsync([name], ct) is not { CertificateThumbprint: not null } computer)
                {
                    return Results.Problem(title: "not found", detail: $"no agent of '{name}' is attached", statusCode: StatusCodes.Status404NotFound);
                }

                computer.RevokedAt = time.GetUtcNow();
                await context.SaveChangesAsync(ct);
                return Results.Ok(AgentListener.ToInfo(computer));
            })
            .Produces<AgentInfo>()
            .WithSummary("Removes a computer's agent: its certificate is refused from now on (its recovery points stay)");
        api.MapGet("/agents", async (CatalogHost catalog, CancellationToken ct) =>
            {
                await using var context = catalog.Open();
                var computers = await context.Computers.AsNoTracking().Where(c => c.CertificateThumbprint != null).ToListAsync(ct);
                return computers.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => AgentListener.ToInfo(c) with { Throttle = ComputerThrottle.Show(c) }).ToList();
            })
            .WithSummary("Attached agents: version, last heartbeat, the plugins they loaded, certificate, network bandwidth usage throttling");
        api.MapGet("/agents/{name}/throttle", async (string name, CatalogHost catalog, CancellationToken ct) =>
            {
                await using var context = catalog.Open();
                return await context.Computers.AsNoTracking().SingleOrDefaultAsync(c => c.Name == name, ct) is { } computer
                    ? Results.Ok(ComputerThrottle.Show(computer))
                    : NoSuchComputer(name);
            })
            .Produces<AgentThrottle>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("A protected computer's network bandwidth usage throttling: its limits in and out of work hours, and its work hours (server time)");
        api.MapPut("/agents/{name}/throttle", async (string name, AgentThrottle throttle, CatalogHost catalog, CancellationToken ct) =>
            {
                await using var context = catalog.Open();
                if (await context.Computers.FindAsync([name], ct) is not { } computer)
                {
                    return NoSuchComputer(name);
                }

                if (ComputerThrottle.TrySet(computer, throttle) is { } problem)
                {
                    return Results.Problem(title: ProblemTitle(StatusCodes.Status400BadRequest), detail: problem, statusCode: StatusCodes.Status400BadRequest);
                }

                await context.SaveChangesAsync(ct);
                return Results.Ok(ComputerThrottle.Show(computer));
            })
            .Produces<AgentThrottle>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Sets a protected computer's network bandwidth usage throttling (all of it; nothing changes when refused); its next synchronization keeps to it");
        api.MapPost("/cloud-copy", async (CloudCopyService copy, CancellationToken ct) => ToResult(await copy.RunAsync(ct)))
            .Produces<CloudCopyResult>()
            .WithSummary("Copies every recovery point not yet in the long-term cloud copy there (locked for its time there where the store can lock), and removes those whose time is over");
        api.MapPost("/prune", async (RetentionService retention, CancellationToken ct) => ToResult(await retention.RunAsync(ct)))
            .Produces<PruneResult>()
            .WithSummary("Prunes now: recovery points past their protection group's retention range or limit leave the storage pool and the catalog (a Prune job)");

        api.MapGet("/reports", (IReportRenderer reports) =>
                reports.List().Select(r => new ReportSummary(r.Name, r.Title, r.Formats.Select(f => f.ToString().ToLowerInvariant()).ToList(), r.BuiltIn)).ToList())
            .WithSummary("The reports there are templates for (DPM's, the plugins', the deployment's) and the formats of each");
        api.MapGet("/reports/{name}", RenderReportAsync)
            .Produces(StatusCodes.Status200OK, contentType: "text/html")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Renders a report as a file: format html (default), csv or md; from and to are dates (the to day included) or times, by default the last 7 days. A broken template is a 422 that says file:line:column");

        api.MapGet("/report-schedules", (ReportScheduleService schedules, CancellationToken ct) => schedules.ListAsync(ct))
            .WithSummary("The scheduled reports: report, format, recurrence, period, recipients, and when each is next made");
        api.MapPost("/report-schedules", async (NewReportScheduleDto request, ReportScheduleService schedules, CancellationToken ct) => ToResult(await schedules.CreateAsync(request, ct)))
            .Produces<ReportScheduleInfo>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("Schedules a report (Once 2026-12-01 08:00, Daily 07:00, Weekly Mon 08:00, Monthly 1 08:00 or Monthly last 18:00, server time) over a period (current week, last 4 weeks…): written to the report folder and e-mailed to the recipients");
        api.MapDelete("/report-schedules/{id}", async (string id, ReportScheduleService schedules, CancellationToken ct) =>
                Guid.TryParse(id, out var scheduleId)
                    ? ToResult(await schedules.RemoveAsync(scheduleId, ct))
                    : Results.Problem(title: ProblemTitle(StatusCodes.Status404NotFound), detail: $"there is no report schedule {id}", statusCode: StatusCodes.Status404NotFound))
            .Produces<ReportScheduleInfo>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Removes a scheduled report (the reports it made stay)");

        api.MapPost("/catalog/rebuild", async (ProtectionService protection, CancellationToken ct) => ToResult(await protection.RebuildCatalogAsync(ct)))
            .WithSummary("Recreate the catalog's recovery points (and their data sources and computers) from the storage pool's manifests");

        api.MapPost("/pool/rebuild-index", async (ProtectionService protection, CancellationToken ct) => ToResult(await protection.RebuildIndexAsync(ct)))
            .WithSummary("Recreates the chunk index from the packs");
    }

    private static async Task<IResult> InstallLicenceAsync(HttpRequest request, LicenceService licences, PluginManager plugins, CancellationToken ct)
    {
        if (request.ContentLength > MaxLicenceBytes)
        {
            return Results.Problem(title: "licence refused", detail: $"a licence file is at most {MaxLicenceBytes} bytes", statusCode: StatusCodes.Status400BadRequest);
        }

        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var buffer = new char[MaxLicenceBytes + 1];
        var length = await reader.ReadBlockAsync(buffer, ct);
        if (length > MaxLicenceBytes)
        {
            return Results.Problem(title: "licence refused", detail: $"a licence file is at most {MaxLicenceBytes} bytes", statusCode: StatusCodes.Status400BadRequest);
        }

        var result = licences.Install(new string(buffer, 0, length));
        if (result.Error is not null)
        {
            return Results.Problem(title: "licence refused", detail: result.Error, statusCode: StatusCodes.Status400BadRequest);
        }

        await plugins.ApplyLicenceChangeAsync(ct);
        return Results.Created($"/api/licences/{result.Licence!.Id}", result.Licence);
    }

    private static async Task<IResult> RenderReportAsync(string name, string? from, string? to, string? format, IReportRenderer reports, TimeProvider time, CancellationToken ct)
    {
        if (Enum.GetValues<ReportFormat>().Where(f => string.Equals(f.ToString(), format ?? "html", StringComparison.OrdinalIgnoreCase)).Select(f => (ReportFormat?)f).FirstOrDefault() is not { } chosen)
        {
            return Results.Problem(title: "bad request", detail: $"'{format}' is not a report format (html, csv, md)", statusCode: StatusCodes.Status400BadRequest);
        }

        var period = ReportPeriods.Parse(from, to, time.GetUtcNow(), time.LocalTimeZone);
        if (period.Problem is { } wrong)
        {
            return Results.Problem(title: "bad request", detail: wrong, statusCode: StatusCodes.Status400BadRequest);
        }

        var result = await reports.RenderAsync(name, period.From, period.Until, chosen, ct);
        return result.Problem switch
        {
            null => Results.File(result.Report!.Content, result.Report.ContentType, result.Report.FileName),
            { Kind: ReportProblemKind.TemplateError } problem => Results.Problem(title: "report template error", detail: problem.Message, statusCode: StatusCodes.Status422UnprocessableEntity),
            { Kind: ReportProblemKind.UnknownReport or ReportProblemKind.NoData } problem => Results.Problem(title: ProblemTitle(StatusCodes.Status404NotFound), detail: problem.Message, statusCode: StatusCodes.Status404NotFound),
            { } problem => Results.Problem(title: ProblemTitle(StatusCodes.Status400BadRequest), detail: problem.Message, statusCode: StatusCodes.Status400BadRequest),
        };
    }

    /// <summary>After a change to the protection groups, the schedule follows it.</summary>
    private static async Task<IResult> PlannedAsync<T>(Outcome<T> outcome, ProtectionScheduler scheduler, CancellationToken cancellationToken)
    {
        if (outcome.Problem is null)
        {
            await scheduler.PlanAsync(cancellationToken);
        }

        return ToResult(outcome);
    }

    private static async Task<IResult> ResolveAlertAsync(string id, ResolveAlertDto request, CatalogHost catalog, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var alertId))
        {
            return Results.Problem(title: "bad request", detail: $"'{id}' is not an alert id", statusCode: StatusCodes.Status400BadRequest);
        }

        if (string.IsNullOrWhiteSpace(request.Resolution))
        {
            return Results.Problem(title: "bad request", detail: "say how the alert was resolved (a resolution)", statusCode: StatusCodes.Status400BadRequest);
        }

        var result = await catalog.Alerts.ResolveAsync(alertId, request.Resolution.Trim(), ct);
        return result.Outcome switch
        {
            Catalog.AlertResolveOutcome.Resolved => Results.Ok(ToInfo(result.Alert!)),
            Catalog.AlertResolveOutcome.NotFound => Results.Problem(title: "not found", detail: $"there is no alert {alertId}", statusCode: StatusCodes.Status404NotFound),
            _ => Results.Problem(
                title: "refused",
                detail: $"alert {alertId} is not active: it was resolved on {result.Alert!.ResolvedAt:u} ({result.Alert.Resolution})",
                statusCode: StatusCodes.Status409Conflict),
        };
    }

    private static AlertInfo ToInfo(Catalog.Alert a) => new()
    {
        Id = a.Id, Type = a.Type.ToString(), Severity = a.Severity.ToString(), Subject = a.Subject, Message = a.Message, IsActive = a.IsActive,
        RaisedAt = a.RaisedAt, LastSeenAt = a.LastSeenAt, Occurrences = a.Occurrences, ResolvedAt = a.ResolvedAt, Resolution = a.Resolution,
    };

    private static IResult ToResult<T>(Outcome<T> outcome) =>
        outcome.Problem is null ? Results.Ok(outcome.Value) : Results.Problem(title: ProblemTitle(outcome.Status), detail: outcome.Problem, statusCode: outcome.Status);

    private static IResult ToResult<T, TShown>(Outcome<T> outcome, Func<T, TShown> show) =>
        outcome.Problem is null ? Results.Ok(show(outcome.Value!)) : ToResult(outcome);

    private static IResult NoSuchComputer(string name) =>
        Results.Problem(
            title: ProblemTitle(StatusCodes.Status404NotFound),
            detail: $"this server protects no computer named '{name}' (attach its agent first: dpm agent attach {name})",
            statusCode: StatusCodes.Status404NotFound);

    private static IResult NoSuchJob(string id) =>
        Results.Problem(title: ProblemTitle(StatusCodes.Status404NotFound), detail: $"there is no job {id}", statusCode: StatusCodes.Status404NotFound);

    private static JobInfo ToInfo(Catalog.Job j) => new()
    {
        Id = j.Id, Type = j.Type.ToString(), State = j.State.ToString(), DataSourceId = j.DataSourceId, Server = j.Server, CreatedAt = j.CreatedAt,
        StartedAt = j.StartedAt, EndedAt = j.EndedAt, Attempt = j.Attempt, BytesDone = j.BytesDone, BytesTotal = j.BytesTotal, ItemsDone = j.ItemsDone,
        CurrentItem = j.CurrentItem, CancelRequested = j.CancelRequested, Error = j.Error,
    };

    private static string ProblemTitle(int status) => status switch
    {
        StatusCodes.Status404NotFound => "not found",
        StatusCodes.Status409Conflict => "refused",
        StatusCodes.Status503ServiceUnavailable => "storage pool unavailable",
        StatusCodes.Status400BadRequest => "bad request",
        _ => "failed",
    };
}
