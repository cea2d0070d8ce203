using Dpm.Catalog.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Dpm.Catalog.Tests;

/// <summary>Alerts raised, counted again, escalated and resolved, on a clock the test moves.</summary>
public abstract class AlertBookTests<TDatabases>(TDatabases databases) : CatalogTestBase<TDatabases>(databases)
    where TDatabases : class, ICatalogDatabases
{
    private readonly FakeTimeProvider _clock = new(Day);

    private AlertBook Book => new(Open, _clock);

    [Fact]
    public async Task Raise_SameAlertAgain_CountsItOnceMoreInsteadOfAddingOne()
    {
        var first = await Book.RaiseAsync(AlertType.ReplicaInconsistent, AlertSeverity.Warning, "fs1/folder:/srv", "the change journal overflowed", CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(15));

        var again = await Book.RaiseAsync(AlertType.ReplicaInconsistent, AlertSeverity.Critical, "fs1/folder:/srv", "the agent restarted", CancellationToken.None);
        await Book.RaiseAsync(AlertType.ReplicaInconsistent, AlertSeverity.Warning, "fs2/folder:/srv", "the agent restarted", CancellationToken.None);

        Assert.Equal(first.Id, again.Id);
        var alerts = await Book.ListAsync(includeInactive: true, CancellationToken.None);
        Assert.Equal(2, alerts.Count);
        var fs1 = alerts.Single(a => a.Subject == "fs1/folder:/srv");
        Assert.Equal(2, fs1.Occurrences);
        Assert.Equal(Day, fs1.RaisedAt);
        Assert.Equal(Day.AddMinutes(15), fs1.LastSeenAt);
        Assert.Equal(AlertSeverity.Critical, fs1.Severity); // the worse of the two
        Assert.Equal("the agent restarted", fs1.Message);
    }

    [Fact]
    public async Task Resolve_ActiveAlert_BecomesInactiveWithItsResolution_AndANewOneCanBeRaised()
    {
        await Book.RaiseAsync(AlertType.ReplicaInconsistent, AlertSeverity.Critical, "fs1/folder:/srv", "the change journal overflowed", CancellationToken.None);
        _clock.Advance(TimeSpan.FromHours(1));

        var resolved = await Book.ResolveAsync(AlertType.ReplicaInconsistent, "fs1/folder:/srv", "a consistency check repaired the replica", CancellationToken.None);
        var nothing = await Book.ResolveAsync(AlertType.SlaMissed, "fs1/folder:/srv", "a recovery point was made", CancellationToken.None);
        await Book.RaiseAsync(AlertType.ReplicaInconsistent, AlertSeverity.Warning, "fs1/folder:/srv", "the agent restarted", CancellationToken.None);

        Assert.NotNull(resolved);
        Assert.Null(nothing);
        Assert.Single(await Book.ListAsync(includeInactive: false, CancellationToken.None));
        var all = await Book.ListAsync(includeInactive: true, CancellationToken.None);
        var old = Assert.Single(all, a => !a.IsActive);
        Assert.Equal(Day.AddHours(1), old.ResolvedAt);
        Assert.Equal("a consistency check repaired the replica", old.Resolution);
        Assert.True(all[0].IsActive);
    }

    [Fact]
    public async Task ResolveById_ActiveAlert_ResolvedOnce_UnknownAndAlreadyResolvedSaidSoAndNothingChanges()
    {
        var alert = await Book.RaiseAsync(AlertType.SlaMissed, AlertSeverity.Critical, "fs1/folder:/srv", "no recovery point for 30 hours", CancellationToken.None);
        _clock.Advance(TimeSpan.FromHours(2));

        var resolved = await Book.ResolveAsync(alert.Id, "the tape library was repaired", CancellationToken.None);
        _clock.Advance(TimeSpan.FromHours(1));
        var again = await Book.ResolveAsync(alert.Id, "resolved twice", CancellationToken.None);
        var unknown = await Book.ResolveAsync(Guid.NewGuid(), "nothing to resolve", CancellationToken.None);

        Assert.Equal(AlertResolveOutcome.Resolved, resolved.Outcome);
        Assert.False(resolved.Alert!.IsActive);
        Assert.Equal(AlertResolveOutcome.AlreadyResolved, again.Outcome);
        Assert.Equal((AlertResolveOutcome.NotFound, (Alert?)null), (unknown.Outcome, unknown.Alert));
        var stored = Assert.Single(await Book.ListAsync(includeInactive: true, CancellationToken.None));
        Assert.False(stored.IsActive);
        Assert.Equal(Day.AddHours(2), stored.ResolvedAt);
        Assert.Equal("the tape library was repaired", stored.Resolution);
    }

    [Fact]
    public async Task Raise_TwoServersAtOnce_OneActiveAlertCountedTwice()
    {
        var other = new AlertBook(Open, _clock);

        await Task.WhenAll(
            Book.RaiseAsync(AlertType.PoolAlmostFull, AlertSeverity.Warning, "pool", "the storage pool is 91% full", CancellationToken.None),
            other.RaiseAsync(AlertType.PoolAlmostFull, AlertSeverity.Warning, "pool", "the storage pool is 91% full", CancellationToken.None));

        var alert = Assert.Single(await Book.ListAsync(includeInactive: true, CancellationToken.None));
        Assert.Equal(2, alert.Occurrences);
    }
}

public sealed class SqliteAlertBookTests(SqliteCatalogs databases) : AlertBookTests<SqliteCatalogs>(databases);

public sealed class PostgresAlertBookTests(PostgresCatalogs databases) : AlertBookTests<PostgresCatalogs>(databases);
