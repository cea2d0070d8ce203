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
