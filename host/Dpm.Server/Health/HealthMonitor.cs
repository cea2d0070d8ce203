using System.Globalization;
using Dpm.Catalog;
using Dpm.Core.Hosting;
using Dpm.Core.Licensing;
using Dpm.Management;
using Dpm.Server.Agents;
using Dpm.Server.Protection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dpm.Server.Health;

/// <summary>What a health check did: the alerts it raised (or counted again) and those it resolved, as "Type subject".</summary>
internal sealed record HealthReport(IReadOnlyList<string> Raised, IReadOnlyList<string> Resolved);

/// <summary>
/// Checks the server's health as DPM's monitoring does, and keeps the alerts in step with what it finds: an
/// alert is raised while its condition holds (the alert book counts a repeat again) and resolved, with why,
/// once it no longer does.
/// <list type="bullet">
/// <item>SlaMissed (critical), per protection group member: no recovery point newer than the group's SLA.
/// A member with no recovery point at all misses it once its group is older than the SLA.</item>
/// <item>PoolAlmostFull (warning): the storage pool's disk is more than 90% used.</item>
/// <item>LicenceOverCount (critical), per tier: more computers hold it than the licences cover (in evaluation
/// mode: more computers than evaluation mode protects).</item>
/// <item>LicenceNearExpiry (warning): a licence expires within 30 days (or has expired and is still installed),
/// or evaluation mode ends within 30 days (or has ended with no licence installed).</item>
/// <item>AgentNotResponding (critical), per computer: its attached agent sent no heartbeat (or, never having
/// sent one, attached) longer ago than <see cref="AgentOptions.HeartbeatTimeoutMinutes"/>. A heartbeat resolves
/// it at once; removing the agent resolves it at the next check.</item>
/// </list>
/// </summary>
internal sealed partial class HealthMonitor(
    CatalogHost catalog, PoolHost pools, LicenceService licences, IOptions<AgentOptions> agents, IOptions<DpmHostOptions> host, TimeProvider time, ILogger<HealthMonitor> logger)
{
    /// <summary>Above this fraction of its disk used, the storage pool is almost full.</summary>
    public const double PoolFullFraction = 0.9;

    /// <summary>How far ahead a licence's end is warned about.</summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(30);

    private static CultureInfo Culture => CultureInfo.InvariantCulture;

    public async Task<HealthReport> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        List<string> raised = [], resolved = [];
        var active = (await catalog.Alerts.ListAsync(includeInactive: false, cancellationToken)).ToLookup(a => a.Type);

        var (missed, met) = await CheckSlaAsync(now, cancellationToken);
        await SettleAsync(AlertType.SlaMissed, AlertSeverity.Critical, missed, active, s => met.GetValueOrDefault(s, "the data source is no longer in a protection group"), raised, resolved, cancellationToken);

        if (await CheckPoolAsync(cancellationToken) is { } pool)
        {
            await SettleAsync(AlertType.PoolAlmostFull, AlertSeverity.Warning, pool.Full, active, _ => pool.Resolution, raised, resolved, cancellationToken);
        }

        var state = licences.GetState();
        await SettleAsync(AlertType.LicenceOverCount, AlertSeverity.Critical, OverCount(state), active, _ => $"the licences cover the computers that hold them again ({state.Summary})", raised, resolved, cancellationToken);
        await SettleAsync(AlertType.LicenceNearExpiry, AlertSeverity.Warning, NearExpiry(state, now), active, _ => $"no longer near its end ({state.Summary})", raised, resolved, cancellationToken);

        // Critical, as DPM raises an unreachable agent: while it doesn't answer, none of the computer's data
        // sources is synchronized or can be recovered to it, so its protection has stopped. The timeout already
        // lets a short outage pass, so what is raised is worth acting on.
        var (silent, answering) = await CheckAgentsAsync(now, cancellationToken);
        await SettleAsync(AlertType.AgentNotResponding, AlertSeverity.Critical, silent, active, c => answering.GetValueOrDefault(c, $"the agent of {c} was removed"), raised, resolved, cancellationToken);

        Checked(logger, raised.Count, resolved.Count);
        return new HealthReport(raised, resolved);
    }

    /// <summary>Raises an alert for each subject that fails, and resolves the active alerts of that type whose subject no longer does.</summary>
    private async Task SettleAsync(
        AlertType type,
        AlertSeverity severity,
        Dictionary<string, string> failing,
        ILookup<AlertType, Alert> active,
        Func<string, string> resolution,
        List<string> raised,
        List<string> resolved,
        CancellationToken cancellationToken)
    {
        foreach (var (subject, message) in failing)
        {
            await catalog.Alerts.RaiseAsync(type, severity, subject, message, cancellationToken);
            raised.Add($"{type} {subject}");
        }

        foreach (var alert in active[type].Where(a => !failing.ContainsKey(a.Subject)))
        {
            if (await catalog.Alerts.ResolveAsync(type, alert.Subject, resolution(alert.Subject), cancellationToken) is not null)
            {
                resolved.Add($"{type} {alert.Subject}");
            }
        }
    }

    /// <summary>The protection group members that miss their SLA (subject → message), and why the others meet it.</summary>
    private async Task<(Dictionary<string, string> Missed, Dictionary<string, string> Met)> CheckSlaAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var context = catalog.Open();
        var groups = await context.ProtectionGroups.AsNoTracking().Include(g => g.Members).ToListAsync(cancellationToken);
        var points = await context.RecoveryPoints.AsNoTracking()
            .Join(context.DataSources.Where(d => d.ProtectionGroupId != null), p => new { p.ComputerName, Id = p.DataSourceId }, d => new { d.ComputerName, d.Id }, (p, d) => new { p.ComputerName, p.DataSourceId, p.Id, p.CreatedAt })
            .ToListAsync(cancellationToken);
        var latest = points.GroupBy(p => $"{p.ComputerName}/{p.DataSourceId}", StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.MaxBy(p => p.CreatedAt)!, StringComparer.Ordinal);
        var missed = new Dictionary<string, string>(StringComparer.Ordinal);
        var met = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var sla = TimeSpan.FromHours(group.Policy.SlaHours);
            foreach (var member in group.Members)
            {
                var subject = $"{member.ComputerName}/{member.Id}";
                if (latest.TryGetValue(subject, out var point) && now - point.CreatedAt < sla)
                {
                    met[subject] = string.Create(Culture, $"recovery point {point.Id} of {point.CreatedAt:u} is within the SLA of {group.Policy.SlaHours} hours");
                }
                else if (point is not null)
                {
                    missed[subject] = string.Create(Culture, $"no recovery point of {member.Name} is newer than the SLA of {group.Policy.SlaHours} hours (protection group '{group.Name}') allows: the latest is from {point.CreatedAt:u}");
                }
                else if (now - group.CreatedAt >= sla)
                {
                    missed[subject] = string.Create(Culture, $"{member.Name} has no recovery point, and its protection group '{group.Name}' is older than its SLA of {group.Policy.SlaHours} hours");
                }
                else
                {
                    met[subject] = string.Create(Culture, $"its protection group '{group.Name}' is younger than its SLA of {group.Policy.SlaHours} hours");
                }
            }
        }

        return (missed, met);
    }

    /// <summary>
    /// The attached agents whose last sign of life is older than the heartbeat timeout (computer → message), and why
    /// the others are fine. The server's own computer is not one: its agent runs in the server's process.
    /// </summary>
    private async Task<(Dictionary<string, string> Silent, Dictionary<string, string> Answering)> CheckAgentsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromMinutes(agents.Value.HeartbeatTimeoutMinutes);
        var own = host.Value.ComputerName;
        await using var context = catalog.Open();
        var attached = await context.Computers.AsNoTracking().Where(c => c.CertificateThumbprint != null && c.RevokedAt == null && c.Name != own).ToListAsync(cancellationToken);
        var silent = new Dictionary<string, string>(StringComparer.Ordinal);
        var answering = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var computer in attached)
        {
            // An agent attached again after a long silence has its timeout from the new attach.
            var heard = computer.LastHeartbeat is { } beat && beat >= computer.AttachedAt;
            var since = heard ? computer.LastHeartbeat!.Value : computer.AttachedAt;
            if (now - since < timeout)
            {
                answering[computer.Name] = heard ? AgentListener.HeartbeatResolution(computer.Name, since) : string.Create(Culture, $"the agent of {computer.Name} attached again at {since:u}");
            }
            else
            {
                silent[computer.Name] = string.Create(
                    Culture,
                    $"the agent of {computer.Name} is not responding: {(heard ? "its last heartbeat was at" : "it has sent no heartbeat since it attached at")} {since:u}, more than {agents.Value.HeartbeatTimeoutMinutes} minutes ago; check that dpm-agent runs there and can reach this server");
            }
        }

        return (silent, answering);
    }

    /// <summary>The storage pool when it is almost full (subject → message) and what resolves it, or null when its space is unknown.</summary>
    private async Task<(Dictionary<string, string> Full, string Resolution)?> CheckPoolAsync(CancellationToken cancellationToken)
    {
        if (pools.Pool is not { } pool)
        {
            return null; // not open: its own problem, and nothing is known about its space
        }

        var space = await pool.Store.GetSpaceAsync(cancellationToken);
        if (space is not { TotalBytes: > 0 and var total, FreeBytes: { } free })
        {
            return null;
        }

        var used = 1 - ((double)free / total);
        var usage = string.Create(Culture, $"{used * 100:0}% used ({free / (1 << 20)} MiB free of {total / (1 << 20)} MiB)");
        var full = new Dictionary<string, string>(StringComparer.Ordinal);
        if (used > PoolFullFraction)
        {
            full[pool.Store.Location] = $"the storage pool's disk is almost full: {usage}; make room, or garbage-collect after pruning";
        }

        return (full, string.Create(Culture, $"the storage pool's disk is below {PoolFullFraction * 100:0}% used again: {usage}"));
    }

    /// <summary>The tiers (or evaluation mode) with more computers holding licences than are covered.</summary>
    private static Dictionary<string, string> OverCount(LicenceState state)
    {
        var over = new Dictionary<string, string>(StringComparer.Ordinal);
        if (state.Mode == LicenceMode.Evaluation)
        {
            if (state.EvaluationComputerLimit is { } limit && state.Consumptions.Count > limit)
            {
                over["evaluation"] = $"{state.Consumptions.Count} computers hold licences, but evaluation mode protects at most {limit}";
            }

            return over;
        }

        foreach (var tier in state.Tiers.Where(t => t.InUse > t.Licensed))
        {
            over[tier.Name] = $"{tier.InUse} computers hold {tier.Name} licences, but the valid licences installed cover {tier.Licensed}"
                + (state.Mode == LicenceMode.Unlicensed ? " (the evaluation period has ended and no valid licence is installed)" : "");
        }

        return over;
    }

    /// <summary>Licences (and evaluation mode) that end within <see cref="ExpiryWarning"/> or have ended.</summary>
    private static Dictionary<string, string> NearExpiry(LicenceState state, DateTimeOffset now)
    {
        var near = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var licence in state.Licences)
        {
            if (licence is { Id: { } id, ExpiresAt: { } expires } && (licence.Validity == LicenceValidity.Expired || (licence.Validity == LicenceValidity.Valid && expires - now <= ExpiryWarning)))
            {
                near["licence " + id] = licence.Validity == LicenceValidity.Expired
                    ? string.Create(Culture, $"licence {id} ({licence.Licensee}) expired on {expires:yyyy-MM-dd}: install its renewal and remove it")
                    : string.Create(Culture, $"licence {id} ({licence.Licensee}) expires on {expires:yyyy-MM-dd}, in {Math.Ceiling((expires - now).TotalDays)} days: install its renewal");
            }
        }

        if (state.Mode == LicenceMode.Evaluation && state.EvaluationEndsAt is { } ends && ends - now <= ExpiryWarning)
        {
            near["evaluation"] = string.Create(Culture, $"evaluation mode ends on {ends:yyyy-MM-dd}, in {Math.Ceiling((ends - now).TotalDays)} days: install a licence");
        }
        else if (state.Mode == LicenceMode.Unlicensed)
        {
            near["evaluation"] = state.Summary;
        }

        return near;
    }

    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "Health checked: {Raised} alerts raised or seen again, {Resolved} resolved")]
    private static partial void Checked(ILogger logger, int raised, int resolved);
}
