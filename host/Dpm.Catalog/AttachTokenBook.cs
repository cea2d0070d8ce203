using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dpm.Management;
using Microsoft.EntityFrameworkCore;

namespace Dpm.Catalog;

/// <summary>How redeeming an attach token ended: the computer it attaches, or why it was refused.</summary>
public sealed record AttachRedemption(string? ComputerName, string? Problem)
{
    public bool Succeeded => ComputerName is not null;
}

/// <summary>
/// One-time attach tokens, as <c>dpm agent attach NAME</c> prints them: <c>dpm-attach.ID.SECRET.PIN</c>, where
/// PIN is the SHA-256 of the server's certificate authority (so the agent knows which server it may trust
/// before it has a certificate). Only a hash of the secret is kept. A token expires, and works once: two agents
/// redeeming it at the same moment, one wins.
/// </summary>
public sealed class AttachTokenBook(Func<CatalogContext> open, TimeProvider time)
{
    /// <summary>Makes a token that attaches <paramref name="computerName"/> until <paramref name="lifetime"/> from now.</summary>
    public async Task<string> IssueAsync(string computerName, TimeSpan lifetime, string authorityPin, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(computerName);
        ArgumentException.ThrowIfNullOrWhiteSpace(authorityPin);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        await using var catalog = open();
        catalog.AttachTokens.Add(new AttachToken { Id = id, ComputerName = computerName, SecretHash = Hash(secret), CreatedAt = now, ExpiresAt = now + lifetime });
        await catalog.SaveChangesAsync(cancellationToken);
        return AttachTokenFormat.Format(id, secret, authorityPin);
    }

    /// <summary>Uses a token up: the computer it attaches, or the reason it can't (malformed, unknown or forged, expired, used).</summary>
    public async Task<AttachRedemption> RedeemAsync(string token, CancellationToken cancellationToken)
    {
        if (AttachTokenFormat.Parse(token) is not { } parts)
        {
            return new(null, $"this is not an attach token (they look like {AttachTokenFormat.Scheme}.ID.SECRET.PIN)");
        }

        await using var catalog = open();
        var row = await catalog.AttachTokens.AsNoTracking().SingleOrDefaultAsync(t => t.Id == parts.Id, cancellationToken);
        if (row is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(row.SecretHash), Encoding.ASCII.GetBytes(Hash(parts.Secret))))
        {
            return new(null, "the attach token is not valid: it is unknown, or it was altered");
        }

        var now = time.GetUtcNow();
        if (row.UsedAt is { } used)
        {
            return new(null, string.Create(CultureInfo.InvariantCulture, $"the attach token was used already, at {used:u}: ask for a new one (dpm agent attach {row.ComputerName})"));
        }

        if (row.ExpiresAt <= now)
        {
            return new(null, string.Create(CultureInfo.InvariantCulture, $"the attach token expired at {row.ExpiresAt:u}: ask for a new one (dpm agent attach {row.ComputerName})"));
        }

        // Used up in one conditional update: of two redeeming it at once, one changes the row and wins.
        var won = await catalog.AttachTokens.Where(t => t.Id == parts.Id && t.UsedAt == null).ExecuteUpdateAsync(t => t.SetProperty(x => x.UsedAt, now), cancellationToken);
        return won == 1 ? new(row.ComputerName, null) : new(null, "the attach token was used already: ask for a new one");
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
