using Dpm.Contracts;

namespace Dpm.Management;

/// <summary>How the server is licensed.</summary>
public enum LicenceMode
{
    /// <summary>At least one valid licence is installed.</summary>
    Licensed = 1,

    /// <summary>No valid licence: every tier for a few computers, for a limited time from first start.</summary>
    Evaluation = 2,

    /// <summary>No valid licence and the evaluation period is over: no licensed workload loads.</summary>
    Unlicensed = 3,
}

/// <summary>The verdict on one licence file.</summary>
public enum LicenceValidity
{
    Valid = 1,
    Expired = 2,
    NotYetValid = 3,
    BadSignature = 4,
    UnknownKey = 5,
    Unreadable = 6,
}

/// <summary>Numbers of protected computers per tier.</summary>
public sealed record ComputerCounts(int Client, int Standard, int Enterprise)
{
    public static ComputerCounts None { get; } = new(0, 0, 0);

    public int For(LicenceTier tier) => tier switch
    {
        LicenceTier.Client => Client,
        LicenceTier.Standard => Standard,
        LicenceTier.Enterprise => Enterprise,
        _ => 0,
    };

    public ComputerCounts Add(ComputerCounts other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(Client + other.Client, Standard + other.Standard, Enterprise + other.Enterprise);
    }
}

/// <summary>A licence file in the server's licence folder.</summary>
public sealed record InstalledLicence
{
    public required string File { get; init; }
    public string? Id { get; init; }
    public string? Licensee { get; init; }
    public DateTimeOffset? IssuedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public ComputerCounts? Computers { get; init; }
    public required LicenceValidity Validity { get; init; }

    /// <summary>What is wrong with it, or "valid".</summary>
    public required string Message { get; init; }
}

/// <summary>Capacity and use of one tier.</summary>
public sealed record TierUsage(LicenceTier Tier, string Name, int Licensed, int InUse)
{
    public int Available => Math.Max(0, Licensed - InUse);
}

/// <summary>A computer that holds a licence.</summary>
public sealed record LicenceConsumption(string Computer, LicenceTier Tier, DateTimeOffset Since);

/// <summary>Everything about the server's licences.</summary>
public sealed record LicenceState
{
    public required LicenceMode Mode { get; init; }

    /// <summary>One line that says what the mode means now (for example "Evaluation: every tier, 5 computers, ends 2027-05-24").</summary>
    public required string Summary { get; init; }

    public DateTimeOffset? EvaluationEndsAt { get; init; }

    /// <summary>In evaluation mode, the total number of computers any tier may protect.</summary>
    public int? EvaluationComputerLimit { get; init; }

    public required IReadOnlyList<InstalledLicence> Licences { get; init; }
    public required IReadOnlyList<TierUsage> Tiers { get; init; }
    public required IReadOnlyList<LicenceConsumption> Consumptions { get; init; }
}
