namespace Dpm.Contracts;

/// <summary>
/// The protection-agent licence tiers. A higher tier covers everything a lower one does:
/// Client (C-DPML) &lt; Standard (S-DPML) &lt; Enterprise (E-DPML).
/// </summary>
public enum LicenceTier
{
    /// <summary>No licence is needed (storage plugins, for example).</summary>
    None = 0,

    /// <summary>C-DPML: desktop (client computer) protection.</summary>
    Client = 1,

    /// <summary>S-DPML: file protection and system state.</summary>
    Standard = 2,

    /// <summary>E-DPML: application workloads, bare-metal recovery and secondary-server protection.</summary>
    Enterprise = 3,
}

/// <summary>Names of licence tiers as DPM prints them.</summary>
public static class LicenceTierNames
{
    /// <summary>The DPM name of a tier: C-DPML, S-DPML, E-DPML, or "none".</summary>
    public static string ToDpmlName(this LicenceTier tier) => tier switch
    {
        LicenceTier.Client => "C-DPML",
        LicenceTier.Standard => "S-DPML",
        LicenceTier.Enterprise => "E-DPML",
        LicenceTier.None => "none",
        _ => tier.ToString(),
    };
}
