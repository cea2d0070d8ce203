using System.Globalization;
using Dpm.Contracts.Workloads;

namespace Dpm.Workloads.Files.Protection;

/// <summary>
/// The workload's change tokens. Today only one kind exists, the time of a live snapshot
/// (<c>live:&lt;UTC ticks&gt;</c>); a btrfs generation or a change-journal cursor will be further kinds.
/// </summary>
internal static class ChangeTokens
{
    private const string LivePrefix = "live:";

    public static ChangeToken Live(DateTimeOffset takenAt) => new(LivePrefix + takenAt.UtcTicks.ToString(CultureInfo.InvariantCulture));

    /// <summary>The snapshot time a live token encodes, or null when the token is of another kind or damaged.</summary>
    public static DateTimeOffset? TryReadLive(ChangeToken? token) =>
        token is not null && token.Value.StartsWith(LivePrefix, StringComparison.Ordinal)
            && long.TryParse(token.Value.AsSpan(LivePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && ticks <= DateTimeOffset.MaxValue.UtcTicks
            ? new DateTimeOffset(ticks, TimeSpan.Zero)
            : null;
}
