using Microsoft.EntityFrameworkCore;

namespace Dpm.Catalog;

/// <summary>
/// Raises and resolves alerts as DPM does: an alert is active until it is resolved (then inactive, with the
/// resolution); raising one that is already active for the same type and subject counts it again instead of
/// adding another.
/// </summary>
public sealed class AlertBook(Func<CatalogContext> open, TimeProvider time)
{
    /// <summary>Raises an alert, or counts it again when the same one is active; returns it.</summary>
    public async Task<Alert> RaiseAsync(AlertType type, AlertSeverity severity, string subject, string message, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentException.ThrowIfNullOrEmpty(message);
        var now = time.GetUtcNow();
        for (var attempt = 0; ; attempt++)
        {
            await using var catalog = open();
            var active = await catalog.Alerts.SingleOrDefaultAsync(a => a.IsActive && a.Type == type && a.Subject == subject, cancellationToken);
            if (active is not null)
            {
                active.Occurrences++;
                active.LastSeenAt = now;
                active.Message = message;
                active.Severity = severity > active.Severity ? severity : active.Severity;
            }
            else
            {
                active = new Alert { Type = type, Severity = severity, Subject = subject, Message = message, RaisedAt = now, LastSeenAt = now };
                catalog.Alerts.Add(active);
            }

            try
            {
                await catalog.SaveChangesAsync(cancellationToken);
                return active;
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                // Another server raised the same alert at the same moment (the unique index said so): count it again.
            }
        }
    }

    /// <summary>Resolves the active alert of that type and subject, if there is one; returns it.</summary>
    public async Task<Alert?> ResolveAsync(AlertType type, string subject, string resolution, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(resolution);
        await using var catalog = open();
        var active = await catalog.Alerts.SingleOrDefaultAsync(a => a.IsActive && a.Type == type && a.Subject == subject, cancellationToken);
        if (active is null)
        {
            return null;
        }

        active.IsActive = false;
        active.ResolvedAt = time.GetUtcNow();
        active.Resolution = resolution;
        await catalog.SaveChangesAsync(cancellationToken);
        return active;
    }

    /// <summary>
    /// Resolves one alert by its id with the operator's resolution. Only an active alert is resolved: an unknown id
    /// and an alert already resolved are said so, and nothing changes (two operators at once resolve it once).
    /// </summary>
    public async Task<AlertResolveResult> ResolveAsync(Guid id, string resolution, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resolution);
        var now = time.GetUtcNow();
        await using var catalog = open();
        var resolved = await catalog.Alerts.Where(a => a.Id == id && a.IsActive).ExecuteUpdateAsync(
            set => set.SetProperty(a => a.IsActive, false).SetProperty(a => a.ResolvedAt, now).SetProperty(a => a.Resolution, resolution),
            cancellationToken);
        var alert = await catalog.Alerts.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
        return new AlertResolveResult(
            alert is null ? AlertResolveOutcome.NotFound : resolved == 1 ? AlertResolveOutcome.Resolved : AlertResolveOutcome.AlreadyResolved, alert);
    }

    /// <summary>The alerts, active ones first, newest first.</summary>
    public async Task<IReadOnlyList<Alert>> ListAsync(bool includeInactive, CancellationToken cancellationToken)
    {
        await using var catalog = open();
        var alerts = await catalog.Alerts.AsNoTracking().Where(a => includeInactive || a.IsActive).ToListAsync(cancellationToken);
        return [.. alerts.OrderByDescending(a => a.IsActive).ThenByDescending(a => a.LastSeenAt)];
    }
}

/// <summary>How resolving an alert by its id went.</summary>
public enum AlertResolveOutcome
{
    /// <summary>The alert was active and is now resolved.</summary>
    Resolved,

    /// <summary>No alert has that id.</summary>
    NotFound,

    /// <summary>The alert had been resolved before; it keeps its earlier resolution.</summary>
    AlreadyResolved,
}

/// <summary>The outcome of resolving an alert by its id, with the alert as it now is (null when there is none).</summary>
public sealed record AlertResolveResult(AlertResolveOutcome Outcome, Alert? Alert);
