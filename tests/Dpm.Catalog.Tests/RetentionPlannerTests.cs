namespace Dpm.Catalog.Tests;

/// <summary>Retention on an injected "now": age past the range, the limit, inconsistent days, the last good point.</summary>
public sealed class RetentionPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static List<(string, DateTimeOffset)> Daily(int days) => [.. Enumerable.Range(0, days).Select(d => ($"rp-{d:00}", Now.AddDays(-d)))];

    [Fact]
    public void Expired_PointsOlderThanTheRange_GoOldestFirst()
    {
        var expired = RetentionPlanner.Expired(Daily(10), TimeSpan.FromDays(5), limit: 64, Now, []);

        Assert.Equal(["rp-09", "rp-08", "rp-07", "rp-06"], expired);
    }

    [Fact]
    public void Expired_MoreThanTheLimit_TheOldestBeyondItGo()
    {
        var expired = RetentionPlanner.Expired(Daily(10), TimeSpan.FromDays(30), limit: 7, Now, []);

        Assert.Equal(["rp-09", "rp-08", "rp-07"], expired);
    }

    [Fact]
    public void Expired_DaysWithAnInconsistentReplica_DoNotCountTowardTheRange()
    {
        // Three days inconsistent, two of them over and one still going: points 6 to 8 days old are 3 days younger.
        var inconsistent = new List<(DateTimeOffset, DateTimeOffset?)> { (Now.AddDays(-4), Now.AddDays(-2)), (Now.AddDays(-1), null) };

        var expired = RetentionPlanner.Expired(Daily(10), TimeSpan.FromDays(5), limit: 64, Now, inconsistent);

        Assert.Equal(["rp-09"], expired);
    }

    [Fact]
    public void Expired_EvenTheNewestIsOld_TheLastGoodPointStays()
    {
        var points = new List<(string, DateTimeOffset)> { ("old", Now.AddDays(-40)), ("last", Now.AddDays(-30)) };

        Assert.Equal(["old"], RetentionPlanner.Expired(points, TimeSpan.FromDays(5), limit: 64, Now, []));
        Assert.Empty(RetentionPlanner.Expired([("only", Now.AddDays(-400))], TimeSpan.FromDays(5), limit: 1, Now, []));
    }
}
