using Dpm.Catalog.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Dpm.Catalog.Tests;

/// <summary>One-time attach tokens: they attach the computer they were made for, once, until they expire; altered ones are refused.</summary>
public abstract class AttachTokenBookTests<TDatabases>(TDatabases databases) : CatalogTestBase<TDatabases>(databases)
    where TDatabases : class, ICatalogDatabases
{
    private static readonly string Pin = new('a', 64);
    private readonly FakeTimeProvider _clock = new(Day);

    private AttachTokenBook Tokens => new(Open, _clock);

    [Fact]
    public async Task Token_AttachesItsComputerOnce_ThenIsRefused()
    {
        var token = await Tokens.IssueAsync("fileserver1", TimeSpan.FromHours(1), Pin, CancellationToken.None);

        var first = await Tokens.RedeemAsync(token, CancellationToken.None);
        var again = await Tokens.RedeemAsync(token, CancellationToken.None);

        Assert.StartsWith("dpm-attach.", token, StringComparison.Ordinal);
        Assert.Equal(Pin, Dpm.Management.AttachTokenFormat.Parse(token)!.Value.Pin);
        Assert.Equal("fileserver1", first.ComputerName);
        Assert.False(again.Succeeded);
        Assert.Contains("was used already", again.Problem, StringComparison.Ordinal);
        await using var catalog = Open();
        Assert.DoesNotContain(catalog.AttachTokens, t => token.Contains(t.SecretHash, StringComparison.Ordinal)); // only a hash is kept
    }

    [Fact]
    public async Task Token_PastItsLifetime_RefusedAsExpired()
    {
        var token = await Tokens.IssueAsync("laptop7", TimeSpan.FromMinutes(30), Pin, CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(31));

        var late = await Tokens.RedeemAsync(token, CancellationToken.None);

        Assert.False(late.Succeeded);
        Assert.Equal("the attach token expired at 2026-11-25 00:30:00Z: ask for a new one (dpm agent attach laptop7)", late.Problem);
    }

    [Theory]
    [InlineData("secret")]
    [InlineData("id")]
    [InlineData("scheme")]
    [InlineData("empty")]
    public async Task Token_AlteredOrMadeUp_Refused_AndTheRealOneStillWorks(string alteration)
    {
        var token = await Tokens.IssueAsync("db1", TimeSpan.FromHours(1), Pin, CancellationToken.None);
        var (id, secret, pin) = Dpm.Management.AttachTokenFormat.Parse(token)!.Value;
        var forged = alteration switch
        {
            "secret" => $"dpm-attach.{id}.{(secret[0] == 'A' ? 'B' : 'A')}{secret[1..]}.{pin}",
            "id" => $"dpm-attach.{new string('0', 16)}.{secret}.{pin}",
            "scheme" => $"other.{id}.{secret}.{pin}",
            _ => "",
        };

        var refused = await Tokens.RedeemAsync(forged, CancellationToken.None);

        Assert.False(refused.Succeeded);
        Assert.Contains(alteration is "scheme" or "empty" ? "not an attach token" : "unknown, or it was altered", refused.Problem, StringComparison.Ordinal);
        Assert.Equal("db1", (await Tokens.RedeemAsync(token, CancellationToken.None)).ComputerName);
    }

    [Fact]
    public async Task Token_RedeemedByManyAtOnce_OneWins()
    {
        var token = await Tokens.IssueAsync("nas", TimeSpan.FromHours(1), Pin, CancellationToken.None);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Tokens.RedeemAsync(token, CancellationToken.None))));

        Assert.Single(results, r => r.Succeeded);
    }
}

public sealed class SqliteAttachTokenBookTests(SqliteCatalogs databases) : AttachTokenBookTests<SqliteCatalogs>(databases);

public sealed class PostgresAttachTokenBookTests(PostgresCatalogs databases) : AttachTokenBookTests<PostgresCatalogs>(databases);
