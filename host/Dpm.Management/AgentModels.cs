namespace Dpm.Management;

/// <summary>What an agent sends to attach: the one-time token and its certificate request (PKCS#10, PEM).</summary>
public sealed record AttachRequest(string Token, string CertificateRequestPem);

/// <summary>What an attached agent gets: its client certificate and the server's authority (both PEM).</summary>
public sealed record AttachResponse(string ComputerName, string CertificatePem, string AuthorityPem);

/// <summary>An attached agent saying it is alive: its version and the plugins it loaded.</summary>
public sealed record AgentHeartbeat(string Version, IReadOnlyList<string> Plugins);

/// <summary>A one-time attach token as <c>dpm agent attach NAME</c> prints it.</summary>
public sealed record AttachTokenInfo(string ComputerName, string Token, DateTimeOffset ExpiresAt, string AgentUrl);

/// <summary>A computer with an agent, as <c>dpm agent get</c> lists it.</summary>
public sealed record AgentInfo(string ComputerName, bool Attached, bool Revoked, string? Version, DateTimeOffset? LastHeartbeat, string? CertificateThumbprint)
{
    /// <summary>The ids of the workload plugins the agent loaded, as its last heartbeat said (none before its first).</summary>
    public IReadOnlyList<string> Plugins { get; init; } = [];

    /// <summary>Its network bandwidth usage throttling (in the list of agents; null elsewhere).</summary>
    public AgentThrottle? Throttle { get; init; }
}

/// <summary>
/// A protected computer's network bandwidth usage throttling, as <c>dpm agent throttle</c> sets and shows it: its
/// agent sends data at most at <see cref="WorkHoursRate"/> during work hours (the <see cref="WorkDays"/> from
/// <see cref="WorkStart"/> to <see cref="WorkEnd"/>, server time) and at most at <see cref="NonWorkHoursRate"/> at
/// other times. Rates are bytes per second; 0 is no limit.
/// </summary>
/// <param name="WorkHoursRate">The limit during work hours, bytes per second; 0 for none.</param>
/// <param name="NonWorkHoursRate">The limit outside work hours, bytes per second; 0 for none.</param>
/// <param name="WorkDays">The days that have work hours; none makes every hour a non-work hour.</param>
/// <param name="WorkStart">When work hours start, <c>HH:mm</c> (server time).</param>
/// <param name="WorkEnd">When work hours end, <c>HH:mm</c>, after <paramref name="WorkStart"/> on the same day (<c>24:00</c> for midnight).</param>
public sealed record AgentThrottle(long WorkHoursRate, long NonWorkHoursRate, IReadOnlyList<DayOfWeek> WorkDays, string WorkStart, string WorkEnd)
{
    /// <summary>
    /// The smallest limit there is: a batch of chunks (8 MiB) waits two minutes at this rate before it goes; much
    /// slower and the server would drop the session as idle (it does after 10 minutes by default).
    /// </summary>
    public const long MinimumRate = 64 * 1024;

    /// <summary>The largest limit there is (2 GiB/s); for more, set no limit.</summary>
    public const long MaximumRate = int.MaxValue;
}

/// <summary>
/// The text of a one-time attach token: <c>dpm-attach.ID.SECRET.PIN</c>, where PIN is the SHA-256 (hex) of the
/// server's certificate authority, so that an agent knows which server to trust before it has a certificate.
/// </summary>
public static class AttachTokenFormat
{
    public const string Scheme = "dpm-attach";

    public static string Format(string id, string secret, string pin) => $"{Scheme}.{id}.{secret}.{pin}";

    /// <summary>The parts of a token, or null when it isn't one.</summary>
    public static (string Id, string Secret, string Pin)? Parse(string? token)
    {
        var parts = (token ?? "").Trim().Split('.');
        return parts is [Scheme, { Length: 16 } id, { Length: > 0 } secret, { Length: 64 } pin] ? (id, secret, pin) : null;
    }
}
