using System.Globalization;

namespace Dpm.Workloads.Sql.PostgreSql;

/// <summary>
/// A WAL segment file name: timeline, log and segment, 8 hex digits each (16 MiB segments, 256 to a log).
/// Names of one timeline sort in WAL order, and a later timeline sorts after an earlier one.
/// </summary>
internal readonly record struct WalSegment(uint Timeline, uint Log, uint Segment) : IComparable<WalSegment>
{
    private const uint SegmentsPerLog = 0x100;

    public string Name => $"{Timeline:X8}{Log:X8}{Segment:X8}";

    /// <summary>The position of the segment in the WAL, whatever the timeline.</summary>
    public ulong Index => ((ulong)Log * SegmentsPerLog) + Segment;

    public WalSegment Next() => Segment + 1 < SegmentsPerLog ? this with { Segment = Segment + 1 } : this with { Log = Log + 1, Segment = 0 };

    public static bool TryParse(string name, out WalSegment segment)
    {
        segment = default;
        if (name.Length != 24 || !name.All(c => char.IsAsciiDigit(c) || c is >= 'A' and <= 'F'))
        {
            return false;
        }

        segment = new WalSegment(
            uint.Parse(name.AsSpan(0, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            uint.Parse(name.AsSpan(8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            uint.Parse(name.AsSpan(16, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        return true;
    }

    public static WalSegment Parse(string name) => TryParse(name, out var segment) ? segment : throw new FormatException($"'{name}' is not a WAL segment name");

    /// <summary>Whether <paramref name="next"/> follows this segment with nothing missing between (a new timeline starts in the same or the next segment).</summary>
    public bool IsFollowedBy(WalSegment next) =>
        next.Timeline == Timeline ? next.Index == Index + 1 : next.Timeline > Timeline && (next.Index == Index || next.Index == Index + 1);

    public int CompareTo(WalSegment other) => string.CompareOrdinal(Name, other.Name);

    public override string ToString() => Name;
}
