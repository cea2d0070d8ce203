using Dpm.Catalog;
using Dpm.Contracts;
using Dpm.Management;
using Dpm.Protection;
using Microsoft.EntityFrameworkCore;

namespace Dpm.Server.Protection;

/// <summary>
/// Protection groups: data sources protected together under one policy, kept in the catalog. The management API
/// has the schedule follow every change it makes.
/// </summary>
internal sealed class ProtectionGroupService(CatalogHost catalog, ProtectedComputer computer, TimeProvider time)
{
    /// <summary>The synchronization frequencies DPM offers, in minutes.</summary>
    public static readonly int[] Frequencies = [15, 30, 45, 60, 120, 240, 360, 720, 1440];

    private static readonly string[] Days = ["Daily", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

    public async Task<Outcome<ProtectionGroupInfo>> CreateAsync(NewProtectionGroupDto request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            return Outcome.Fail<ProtectionGroupInfo>(StatusCodes.Status400BadRequest, "a protection group needs a name");
        }

        if (Check(request.Policy) is { } problem)
        {
            return Outcome.Fail<ProtectionGroupInfo>(StatusCodes.Status400BadRequest, problem);
        }

        await using var context = catalog.Open();
        if (await context.ProtectionGroups.AnyAsync(g => g.Name == request.Name, cancellationToken))
        {
            return Outcome.Fail<ProtectionGroupInfo>(StatusCodes.Status409Conflict, $"there is already a protection group named '{request.Name}'");
        }

        var group = new ProtectionGroup { Name = request.Name, CreatedAt = time.GetUtcNow() };
        CopyTo(request.Policy, group.Policy);
        context.ProtectionGroups.Add(group);
        await context.SaveChangesAsync(cancellationToken);
        return Outcome.Ok(Info(group));
    }

    /// <summary>
    /// Changes only the policy values given, checked as a new group's policy is: a change that leaves the policy
    /// outside what DPM offers is refused with the reason, and nothing changes.
    /// </summary>
    public async Task<Outcome<ProtectionGroupInfo>> ChangePolicyAsync(string name, ProtectionPolicyChangeDto change, CancellationToken cancellationToken)
    {
        await using var context = catalog.Open();
        var group = await context.ProtectionGroups.Include(g => g.Members).SingleOrDefaultAsync(g => g.Name == name, cancellationToken);
        if (group is null)
        {
            return Outcome.Fail<ProtectionGroupInfo>(StatusCodes.Status404NotFound, $"there is no protection group named '{name}'");
        }

        var (policy, problem) = Apply(ToDto(group.Policy), change);
        if (policy is null)
        {
            return Outcome.Fail<ProtectionGroupInfo>(StatusCodes.Status400BadRequest, problem!);
        }

        CopyTo(policy, group.Policy);
        await context.SaveChangesAsync(cancellationToken);
        return Outcome.Ok(Info(group));
    }

    public async Task<IReadOnlyList<ProtectionGroupInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await using var context = catalog.Open();
        var groups = await context.ProtectionGroups.Include(g => g.Members).AsNoTracking().ToListAsync(cancellationToken);
        return [.. groups.OrderBy(g => g.Name, StringComparer.Ordinal).Select(Info)];
    }

    /// <summary>Adds a data source of this computer, or of an attached agent's, to a group; a data source belongs to one group at most.</summary>
    public async Task<Outcome<ProtectionGroupInfo>> AddMemberAsync(string name, GroupMemberDto member, CancellationToken cancellationToken)
    {
        await using var context = catalog.Open();
        var group = await context.ProtectionGroups.Include(g => g.Members).SingleOrDefaultAsync(g => g.Name == name, cancellationToken);
        if (group is null)
        {
            return Outcome.Fail<ProtectionGroupInfo>(StatusCodes.Status404NotFound, $"there is no protection group named '{name}'");
        }

        var pluginId = member.PluginId ?? DataSourceIds.DefaultPlugin(member.DataSourceId);
        if (pluginId is null)
        {
            return Outcome.Fail<ProtectionGroupInfo>(StatusCodes.Status400BadRequest, $"say which workload plugin protects '{member.DataSourceId}'");
        }

        var computerName = member.Computer ?? computer.Name;
        var known = await context.Computers.FindAsync([computerName], cancellationToken);
        if (computerName != computer.Name && (known?.CertificateThumbprint is null || known.RevokedAt is not null))
        {
            return Outcome.Fail<ProtectionGroupInfo>(StatusCodes.Status400BadRequest, $"{computerName} has no attached agent: attach one first (dpm agent attach {computerName})");
        }

        if (known is null)
        {
            context.Computers.Add(new Computer { Name = computerName, AttachedAt = time.GetUtcNow() });
        }

        var dataSource = await context.DataSources.FindAsync([computerName, member.DataSourceId], cancellationToken);
        if (dataSource?.ProtectionGroupId is { } other && other != group.Id)
        {
            var owner = await context.ProtectionGroups.Where(g => g.Id == other).Select(g => g.Name).SingleAsync(cancellationToken);
            return Outcome.Fail<ProtectionGroupInfo>(StatusCodes.Status409Conflict, $"'{member.DataSourceId}' is already protected by the group '{owner}'");
        }

        if (dataSource is null)
        {
            dataSource = context.DataSources.Add(new DataSourceRecord
            {
                Id = member.DataSourceId,
                ComputerName = computerName,
                PluginId = pluginId,
                Name = DataSourceIds.NameOf(member.DataSourceId),
                Location = DataSourceIds.PathOf(member.DataSourceId),
            }).Entity;
        }

        var added = !group.Members.Contains(dataSource);
        if (added)
        {
            group.Members.Add(dataSource);
        }

        await context.SaveChangesAsync(cancellationToken);
        if (added)
        {
        }

        return Outcome.Ok(Info(group));
    }

    public async Task<Outcome<ProtectionGroupInfo>> RemoveMemberAsync(string name, string dataSourceId, string? computerName, CancellationToken cancellationToken)
    {
        await using var context = catalog.Open();
        var group = await context.ProtectionGroups.Include(g => g.Members).SingleOrDefaultAsync(g => g.Name == name, cancellationToken);
        if (group is null)
        {
            return Outcome.Fail<ProtectionGroupInfo>(StatusCodes.Status404NotFound, $"there is no protection group named '{name}'");
        }

        var member = group.Members.SingleOrDefault(m => m.ComputerName == (computerName ?? computer.Name) && m.Id == dataSourceId);
        if (member is null)
        {
            return Outcome.Fail<ProtectionGroupInfo>(StatusCodes.Status404NotFound, $"'{dataSourceId}' is not a member of '{name}'");
        }

        group.Members.Remove(member); // its recovery points stay, as in DPM when protection is stopped with data kept
        await context.SaveChangesAsync(cancellationToken);
        return Outcome.Ok(Info(group));
    }

    /// <summary>Why a policy can't be used, or null.</summary>
    internal static string? Check(ProtectionPolicyDto policy)
    {
        if (policy.RetentionDays is < 1 or > 448)
        {
            return $"the retention range is 1 to 448 days (got {policy.RetentionDays})";
        }

        if (policy.SynchronizationMinutes is { } minutes && !Frequencies.Contains(minutes))
        {
            return $"synchronization frequency must be one of {string.Join(", ", Frequencies)} minutes, or none for just before each recovery point (got {minutes})";
        }

        if (policy.RecoveryPointTimes is null or { Count: 0 })
        {
            return "a protection group needs at least one recovery point time";
        }

        foreach (var entry in policy.RecoveryPointTimes)
        {
            var parts = entry.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !Days.Contains(parts[0]) || !TimeOnly.TryParseExact(parts[1], "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _))
            {
                return $"a recovery point time is 'Daily HH:MM' or a day (Mon … Sun) and HH:MM (got '{entry}')";
            }
        }

        if (policy.SlaHours < 1)
        {
            return $"the SLA is at least 1 hour (got {policy.SlaHours})";
        }

        if (policy.MaxFileRecoveryPoints is < 1 or > 64)
        {
            return $"a file data source keeps 1 to 64 recovery points (got {policy.MaxFileRecoveryPoints})";
        }

        if (policy.MaxExpressFulls is < 1 or > 448)
        {
            return $"an application data source keeps 1 to 448 express fulls (got {policy.MaxExpressFulls})";
        }

        if (policy.ConsistencyCheckWindowStart is { } start && MinutesOf(start) is null)
        {
            return $"the consistency-check window starts at HH:MM (got '{start}')";
        }

        return policy.ConsistencyCheckWindowMinutes is < 60 or > 1440
            ? $"the consistency-check window lasts 1 to 24 hours (got {policy.ConsistencyCheckWindowMinutes} minutes)"
            : null;
    }

    /// <summary>The policy with the change applied and checked, or why the change can't be made.</summary>
    internal static (ProtectionPolicyDto? Policy, string? Problem) Apply(ProtectionPolicyDto current, ProtectionPolicyChangeDto change)
    {
        if (change == new ProtectionPolicyChangeDto())
        {
            return (null, "nothing to change: give at least one policy value");
        }

        if (change.SynchronizationMinutes is not null && change.SynchronizeBeforeRecoveryPoint)
        {
            return (null, "give either a synchronization frequency or synchronization just before each recovery point, not both");
        }

        if (change.ConsistencyCheckWindowStart is not null && change.NoConsistencyCheckWindow)
        {
            return (null, "give either a consistency-check window or none, not both");
        }

        var policy = current with
        {
            RetentionDays = change.RetentionDays ?? current.RetentionDays,
            SynchronizationMinutes = change.SynchronizeBeforeRecoveryPoint ? null : change.SynchronizationMinutes ?? current.SynchronizationMinutes,
            RecoveryPointTimes = change.RecoveryPointTimes ?? current.RecoveryPointTimes,
            SlaHours = change.SlaHours ?? current.SlaHours,
            CompressOnTheWire = change.CompressOnTheWire ?? current.CompressOnTheWire,
            MaxFileRecoveryPoints = change.MaxFileRecoveryPoints ?? current.MaxFileRecoveryPoints,
            MaxExpressFulls = change.MaxExpressFulls ?? current.MaxExpressFulls,
            ConsistencyCheckWindowStart = change.NoConsistencyCheckWindow ? null : change.ConsistencyCheckWindowStart ?? current.ConsistencyCheckWindowStart,
            ConsistencyCheckWindowMinutes = change.ConsistencyCheckWindowMinutes ?? current.ConsistencyCheckWindowMinutes,
        };
        return Check(policy) is { } problem ? (null, problem) : (policy, null);
    }

    /// <summary>Puts a checked policy into the catalog's policy of a group.</summary>
    private static void CopyTo(ProtectionPolicyDto source, ProtectionPolicy target)
    {
        target.RetentionDays = source.RetentionDays;
        target.SynchronizationMinutes = source.SynchronizationMinutes;
        target.RecoveryPointTimes = [.. source.RecoveryPointTimes];
        target.SlaHours = source.SlaHours;
        target.CompressOnTheWire = source.CompressOnTheWire;
        target.MaxFileRecoveryPoints = source.MaxFileRecoveryPoints;
        target.MaxExpressFulls = source.MaxExpressFulls;
        target.ConsistencyCheckWindowStart = source.ConsistencyCheckWindowStart is { } start ? MinutesOf(start) : null;
        target.ConsistencyCheckWindowMinutes = source.ConsistencyCheckWindowMinutes;
    }

    private static ProtectionPolicyDto ToDto(ProtectionPolicy policy) => new()
    {
        RetentionDays = policy.RetentionDays,
        SynchronizationMinutes = policy.SynchronizationMinutes,
        RecoveryPointTimes = [.. policy.RecoveryPointTimes],
        SlaHours = policy.SlaHours,
        CompressOnTheWire = policy.CompressOnTheWire,
        MaxFileRecoveryPoints = policy.MaxFileRecoveryPoints,
        MaxExpressFulls = policy.MaxExpressFulls,
        ConsistencyCheckWindowStart = policy.ConsistencyCheckWindowStart is { } minutes
            ? TimeOnly.FromTimeSpan(TimeSpan.FromMinutes(minutes)).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)
            : null,
        ConsistencyCheckWindowMinutes = policy.ConsistencyCheckWindowMinutes,
    };

    /// <summary>Minutes after midnight of an "HH:MM" time, or null when it isn't one.</summary>
    private static int? MinutesOf(string time) =>
        TimeOnly.TryParseExact(time, "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var parsed)
            ? (parsed.Hour * 60) + parsed.Minute
            : null;

    private static ProtectionGroupInfo Info(ProtectionGroup group) => new()
    {
        Name = group.Name,
        CreatedAt = group.CreatedAt,
        Policy = ToDto(group.Policy),
        Members = [.. group.Members.Select(m => $"{m.ComputerName}/{m.Id}").Order(StringComparer.Ordinal)],
    };
}
