using System.Globalization;
using Dpm.Contracts.Workloads;

namespace Dpm.Workloads.Files.Protection;

/// <summary>
/// The workload's change tokens: the time of a live snapshot (<c>live:&lt;UTC ticks&gt;</c>) or the generation of a
/// btrfs snapshot (<c>btrfs:&lt;generation&gt;</c>).
/// </summary>
internal static class ChangeTokens
{
    private const string LivePrefix = "live:";
    private const string BtrfsPrefix = "btrfs:";

    public static ChangeToken Btrfs(long generation) => new(BtrfsPrefix + generation.ToString(CultureInfo.InvariantCulture));

    /// <summary>The btrfs generation a token encodes, or null when the token is of another kind.</summary>
    public static long? TryReadBtrfs(ChangeToken? token) =>
        token is not null && token.Value.StartsWith(BtrfsPrefix, StringComparison.Ordinal)
            && long.TryParse(token.Value.AsSpan(BtrfsPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var generation)
            ? generation
            : null;

    public static ChangeToken Live(DateTimeOffset takenAt) => new(LivePrefix + takenAt.UtcTicks.ToString(CultureInfo.InvariantCulture));

    /// <summary>The snapshot time a live token encodes, or null when the token is of another kind or damaged.</summary>
    public static DateTimeOffset? TryReadLive(ChangeToken? token) =>
        token is not null && token.Value.StartsWith(LivePrefix, StringComparison.Ordinal)
            && long.TryParse(token.Value.AsSpan(LivePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && ticks <= DateTimeOffset.MaxValue.UtcTicks
            ? new DateTimeOffset(ticks, TimeSpan.Zero)
            : null;
}
