using Dpm.Catalog;
using Dpm.Contracts;
using Dpm.Management;
using Microsoft.EntityFrameworkCore;

namespace Dpm.Server.Protection;

/// <summary>Protection groups: data sources protected together under one policy, kept in the catalog.</summary>
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

        var group = new ProtectionGroup
        {
            Name = request.Name,
            CreatedAt = time.GetUtcNow(),
            Policy = new ProtectionPolicy
            {
                RetentionDays = request.Policy.RetentionDays,
                SynchronizationMinutes = request.Policy.SynchronizationMinutes,
                RecoveryPointTimes = [.. request.Policy.RecoveryPointTimes],
                SlaHours = request.Policy.SlaHours,
                CompressOnTheWire = request.Policy.CompressOnTheWire,
            },
        };
        context.ProtectionGroups.Add(group);
        await context.SaveChangesAsync(cancellationToken);
        return Outcome.Ok(Info(group));
    }

    public async Task<IReadOnlyList<ProtectionGroupInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await using var context = catalog.Open();
        var groups = await context.ProtectionGroups.Include(g => g.Members).AsNoTracking().ToListAsync(cancellationToken);
        return [.. groups.OrderBy(g => g.Name, StringComparer.Ordinal).Select(Info)];
    }

    /// <summary>Adds a data source of this computer to a group; a data source belongs to one group at most.</summary>
    public async Task<Outcome<ProtectionGroupInfo>> AddMemberAsync(string name, GroupMemberDto member, CancellationToken cancellationToken)
    {
        await using var context = catalog.Open();
        var group = await context.ProtectionGroups.Include(g => g.Members).SingleOrDefaultAsync(g => g.Name == name, cancellationToken);
        if (group is null)
        {
            return Outcome.Fail<ProtectionGroupInfo>(StatusCodes.Status404NotFound, $"there is no protection group named '{name}'");
        }

        var pluginId = member.PluginId ?? ProtectionService.DefaultPlugin(member.DataSourceId);
        if (pluginId is null)
        {
            return Outcome.Fail<ProtectionGroupInfo>(StatusCodes.Status400BadRequest, $"say which workload plugin protects '{member.DataSourceId}'");
        }

        if (await context.Computers.FindAsync([computer.Name], cancellationToken) is null)
        {
            context.Computers.Add(new Computer { Name = computer.Name, AttachedAt = time.GetUtcNow() });
        }

        var dataSource = await context.DataSources.FindAsync([computer.Name, member.DataSourceId], cancellationToken);
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
                ComputerName = computer.Name,
                PluginId = pluginId,
                Name = ProtectionService.NameOf(member.DataSourceId),
                Location = ProtectionService.PathOf(member.DataSourceId),
            }).Entity;
        }

        if (!group.Members.Contains(dataSource))
        {
            group.Members.Add(dataSource);
        }

        await context.SaveChangesAsync(cancellationToken);
        return Outcome.Ok(Info(group));
    }

    public async Task<Outcome<ProtectionGroupInfo>> RemoveMemberAsync(string name, string dataSourceId, CancellationToken cancellationToken)
    {
        await using var context = catalog.Open();
        var group = await context.ProtectionGroups.Include(g => g.Members).SingleOrDefaultAsync(g => g.Name == name, cancellationToken);
        if (group is null)
        {
            return Outcome.Fail<ProtectionGroupInfo>(StatusCodes.Status404NotFound, $"there is no protection group named '{name}'");
        }

        var member = group.Members.SingleOrDefault(m => m.ComputerName == computer.Name && m.Id == dataSourceId);
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

        if (policy.RecoveryPointTimes.Count == 0)
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

        return policy.SlaHours < 1 ? $"the SLA is at least 1 hour (got {policy.SlaHours})" : null;
    }

    private static ProtectionGroupInfo Info(ProtectionGroup group) => new()
    {
        Name = group.Name,
        CreatedAt = group.CreatedAt,
        Policy = new ProtectionPolicyDto
        {
            RetentionDays = group.Policy.RetentionDays,
            SynchronizationMinutes = group.Policy.SynchronizationMinutes,
            RecoveryPointTimes = group.Policy.RecoveryPointTimes,
            SlaHours = group.Policy.SlaHours,
            CompressOnTheWire = group.Policy.CompressOnTheWire,
        },
        Members = [.. group.Members.Select(m => $"{m.ComputerName}/{m.Id}").Order(StringComparer.Ordinal)],
    };
}
