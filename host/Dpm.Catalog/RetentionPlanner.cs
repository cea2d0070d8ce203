namespace Dpm.Catalog;

/// <summary>
/// Which recovery points of one data source retention removes, as DPM decides it: points older than the
/// retention range go, where time spent with an inconsistent replica does not count toward a point's age;
/// beyond the recovery point limit the oldest go; the newest point (the last good one) never goes.
/// </summary>
public static class RetentionPlanner
{
    /// <param name="points">The data source's recovery points.</param>
    /// <param name="retention">The short-term retention range.</param>
    /// <param name="limit">The most recovery points kept.</param>
    /// <param name="now">The time the plan is made for.</param>
    /// <param name="inconsistent">The periods when the replica was inconsistent (an open one ends now).</param>
    /// <returns>The ids to remove, oldest first.</returns>
    public static IReadOnlyList<string> Expired(
        IEnumerable<(string Id, DateTimeOffset CreatedAt)> points, TimeSpan retention, int limit, DateTimeOffset now, IReadOnlyList<(DateTimeOffset From, DateTimeOffset? To)> inconsistent)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(inconsistent);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var ordered = points.OrderBy(p => p.CreatedAt).ThenBy(p => p.Id, StringComparer.Ordinal).ToList();
        if (ordered.Count <= 1)
        {
            return [];
        }

        var expired = new List<string>();
        var candidates = ordered.Take(ordered.Count - 1).ToList(); // the last good recovery point stays whatever its age
        var overLimit = Math.Max(0, ordered.Count - limit);
        for (var i = 0; i < candidates.Count; i++)
        {
            var (id, createdAt) = candidates[i];
            if (i < overLimit || Age(createdAt, now, inconsistent) > retention)
            {
                expired.Add(id);
            }
        }

        return expired;
    }

    /// <summary>How long a point has been kept, leaving out the time the replica was inconsistent.</summary>
    private static TimeSpan Age(DateTimeOffset createdAt, DateTimeOffset now, IReadOnlyList<(DateTimeOffset From, DateTimeOffset? To)> inconsistent)
    {
        var age = now - createdAt;
        foreach (var (from, to) in inconsistent)
        {
            var start = from > createdAt ? from : createdAt;
            var end = (to ?? now) < now ? to ?? now : now;
            if (end > start)
            {
                age -= end - start;
            }
        }

        return age;
    }
}
