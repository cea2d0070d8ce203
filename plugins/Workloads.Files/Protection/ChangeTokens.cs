using System.Globalization;
using Dpm.Contracts.Workloads;

namespace Dpm.Workloads.Files.Protection;

/// <summary>
/// The workload's change tokens: the time of a live snapshot (<c>live:&lt;UTC ticks&gt;</c>) or the generation of a
/// btrfs snapshot (<c>btrfs:&lt;generation&gt;</c>), followed, when a change journal ran, by its position
/// (<c> journal:&lt;epoch&gt;:&lt;cut&gt;:&lt;rules&gt;</c>, the rules being a hash of the include and exclude patterns).
/// </summary>
internal static class ChangeTokens
{
    private const string LivePrefix = "live:";
    private const string BtrfsPrefix = "btrfs:";
    private const string JournalPrefix = "journal:";

    public static ChangeToken Btrfs(long generation, JournalPosition? journal) =>
        Compose(BtrfsPrefix + generation.ToString(CultureInfo.InvariantCulture), journal);

    public static ChangeToken Live(DateTimeOffset takenAt, JournalPosition? journal) =>
        Compose(LivePrefix + takenAt.UtcTicks.ToString(CultureInfo.InvariantCulture), journal);

    /// <summary>The btrfs generation a token encodes, or null when the token is of another kind.</summary>
    public static long? TryReadBtrfs(ChangeToken? token) =>
        Part(token, BtrfsPrefix) is { } value && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var generation) ? generation : null;

    /// <summary>The snapshot time a live token encodes, or null when the token is of another kind or damaged.</summary>
    public static DateTimeOffset? TryReadLive(ChangeToken? token) =>
        Part(token, LivePrefix) is { } value && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && ticks <= DateTimeOffset.MaxValue.UtcTicks
            ? new DateTimeOffset(ticks, TimeSpan.Zero)
            : null;

    /// <summary>The change journal position a token holds, or null when it holds none (or a damaged one).</summary>
    public static JournalPosition? TryReadJournal(ChangeToken? token)
    {
        var fields = Part(token, JournalPrefix)?.Split(':');
        return fields is [{ Length: > 0 } epoch, var cut, { Length: > 0 } rules] && long.TryParse(cut, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? new JournalPosition(epoch, sequence, rules)
            : null;
    }

    private static ChangeToken Compose(string snapshot, JournalPosition? journal) =>
        new(journal is null ? snapshot : FormattableString.Invariant($"{snapshot} {JournalPrefix}{journal.Epoch}:{journal.Cut}:{journal.Rules}"));

    private static string? Part(ChangeToken? token, string prefix)
    {
        foreach (var part in (token?.Value ?? "").Split(' '))
        {
            if (part.StartsWith(prefix, StringComparison.Ordinal))
            {
                return part[prefix.Length..];
            }
        }

        return null;
    }
}

/// <summary>A cut of a change journal: its epoch, the number of the last event before the snapshot, the rules' hash.</summary>
internal sealed record JournalPosition(string Epoch, long Cut, string Rules);
