using System.Globalization;
using Dpm.Catalog;
using Dpm.Contracts;
using Microsoft.EntityFrameworkCore;

namespace Dpm.Reporting;

/// <summary>Reads the catalog (and the pool's space and the licences) once for a period and makes every report's data from it.</summary>
internal sealed class ReportDataBuilder(IReportSources sources, TimeProvider time)
{
    public async Task<ReportData> BuildAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        // PostgreSQL takes only UTC times as parameters; SQLite compares UTC ticks: UTC suits both.
        var (fromUtc, toUtc) = (from.ToUniversalTime(), to.ToUniversalTime());
        List<ProtectionGroup> groups;
        List<DataSourceRecord> dataSources;
        List<RecoveryPointRecord> points;
        List<Job> jobs;
        await using (var catalog = sources.OpenCatalog())
        {
            groups = await catalog.ProtectionGroups.AsNoTracking().ToListAsync(cancellationToken);
            dataSources = await catalog.DataSources.AsNoTracking().ToListAsync(cancellationToken);
            points = await catalog.RecoveryPoints.AsNoTracking().Where(p => p.CreatedAt < toUtc).ToListAsync(cancellationToken);
            jobs = await catalog.Jobs.AsNoTracking().Where(j => j.CreatedAt >= fromUtc && j.CreatedAt < toUtc).ToListAsync(cancellationToken);
        }

        var period = new Period(from, to);
        var context = new Context(
            period,
            groups.OrderBy(g => g.Name, StringComparer.Ordinal).ToList(),
            dataSources.ToDictionary(d => (d.ComputerName, d.Id)),
            points.OrderBy(p => p.CreatedAt).ThenBy(p => p.Id, StringComparer.Ordinal).ToList(),
            jobs.OrderBy(j => j.CreatedAt).ThenBy(j => j.Id).Select(j => ToLine(j, period)).ToList());
        var pool = await sources.GetPoolSpaceAsync(cancellationToken);
        return new ReportData(
            new ReportPeriod(period.Local(from), period.Local(to), period.Days),
            period.Local(time.GetUtcNow()),
            Status(context),
            Protection(context),
            RecoveryPoints(context),
            Recovery(context),
            Disk(context, pool),
            Licence(context, sources.GetLicences()),
            Tape(context));
    }

    private static StatusReport Status(Context c)
    {
        var jobs = c.Jobs;
        var byType = jobs.GroupBy(j => j.Type)
            .Select(g => new JobTypeCount(
                g.Key, g.Count(), Count(g, JobState.Succeeded), Count(g, JobState.Failed), Count(g, JobState.Cancelled), g.Count(Unfinished), g.Sum(j => j.Bytes),
                Rate(Count(g, JobState.Succeeded), Count(g, JobState.Succeeded) + Count(g, JobState.Failed))))
            .OrderBy(t => t.Type, StringComparer.Ordinal)
            .ToList();
        var days = c.Period.Days
            .Select(day =>
            {
                var of = jobs.Where(j => Day(j.CreatedAt) == day).ToList();
                var (succeeded, failed) = (Count(of, JobState.Succeeded), Count(of, JobState.Failed));
                return new DayStatus(day, of.Count, succeeded, failed, Rate(succeeded, succeeded + failed));
            })
            .ToList();
        var (ok, ko) = (Count(jobs, JobState.Succeeded), Count(jobs, JobState.Failed));
        return new StatusReport(
            jobs.Count, ok, ko, Count(jobs, JobState.Cancelled), jobs.Count(Unfinished), Rate(ok, ok + ko), byType, days,
            jobs.Where(j => j.Result == nameof(JobState.Failed)).ToList(), jobs);

        static int Count(IEnumerable<JobLine> jobs, JobState state) => jobs.Count(j => j.Result == state.ToString());
        static bool Unfinished(JobLine j) => j.Result is nameof(JobState.Queued) or nameof(JobState.Running);
    }

    private static ProtectionReport Protection(Context c)
    {
        var reports = c.Groups
            .Select(group =>
            {
                var members = c.DataSources.Values
                    .Where(d => d.ProtectionGroupId == group.Id)
                    .OrderBy(d => d.ComputerName, StringComparer.Ordinal).ThenBy(d => d.Id, StringComparer.Ordinal)
                    .Select(d => Protected(c, d, group.Policy.SlaHours))
                    .ToList();
                var met = members.Count(m => m.RpoMet);
                return new GroupProtection(
                    group.Name,
                    group.Policy.RetentionDays,
                    group.Policy.SynchronizationMinutes is { } minutes ? $"every {minutes} min" : "just before a recovery point",
                    string.Join(", ", group.Policy.RecoveryPointTimes),
                    group.Policy.SlaHours,
                    met,
                    Rate(met, members.Count),
                    members);
            })
            .ToList();
        var total = reports.Sum(g => g.Members.Count);
        var rpoMet = reports.Sum(g => g.RpoMet);
        return new ProtectionReport(total, rpoMet, total - rpoMet, Rate(rpoMet, total), reports);
    }

    /// <summary>
    /// The RPO is met when, throughout the period, the newest recovery point was never older than the SLA: the gaps
    /// between one point and the next (from the last point before the period) and from the last one to the end.
    /// </summary>
    private static ProtectedDataSource Protected(Context c, DataSourceRecord d, int slaHours)
    {
        var of = c.PointsOf(d);
        var before = of.LastOrDefault(p => p.CreatedAt < c.Period.From);
        var marks = of.Where(p => p.CreatedAt >= c.Period.From).Select(p => (DateTimeOffset?)p.CreatedAt).Prepend(before?.CreatedAt).OfType<DateTimeOffset>().ToList();
        double? longest = marks.Count == 0 ? null : marks.Append(c.Period.To).Zip(marks.Append(c.Period.To).Skip(1), (a, b) => (b - a).TotalHours).Max();
        var last = of.LastOrDefault()?.CreatedAt;
        return new ProtectedDataSource(
            d.Id, d.Name, d.ComputerName, d.Kind, d.Replica.ToString(),
            last is { } at ? c.Period.Local(at) : null,
            last is { } t ? Math.Round((c.Period.To - t).TotalHours, 2) : null,
            of.Count(p => p.CreatedAt >= c.Period.From),
            longest is { } l ? Math.Round(l, 2) : null,
            slaHours,
            longest is { } gap && gap <= slaHours);
    }

    private static RecoveryPointReport RecoveryPoints(Context c)
    {
        var rows = c.Points
            .GroupBy(p => (p.ComputerName, p.DataSourceId))
            .Select(g =>
            {
                var d = c.DataSources.GetValueOrDefault(g.Key);
                var (bytes, stored) = (g.Sum(p => p.Bytes), g.Sum(p => p.StoredBytes));
                return new DataSourcePoints(
                    g.Key.DataSourceId, d?.Name ?? g.Key.DataSourceId, g.Key.ComputerName, c.GroupName(d),
                    g.Count(), g.Count(p => p.CreatedAt >= c.Period.From),
                    c.Period.Local(g.First().CreatedAt), c.Period.Local(g.Last().CreatedAt),
                    bytes, stored, Ratio(bytes, stored),
                    g.Count(p => p.Copies.Count == 0 || p.Copies.Any(x => x.Location == CopyLocation.Disk)),
                    g.Count(p => p.Copies.Any(x => x.Location == CopyLocation.Tape)),
                    g.Count(p => p.Copies.Any(x => x.Location == CopyLocation.Cloud)));
            })
            .OrderBy(r => r.Computer, StringComparer.Ordinal).ThenBy(r => r.DataSource, StringComparer.Ordinal)
            .ToList();
        var (allBytes, allStored) = (rows.Sum(r => r.Bytes), rows.Sum(r => r.StoredBytes));
        return new RecoveryPointReport(rows.Sum(r => r.Count), rows.Sum(r => r.CreatedInPeriod), allBytes, allStored, Ratio(allBytes, allStored), rows);
    }

    private static RecoveryReport Recovery(Context c)
    {
        var recoveries = c.Jobs.Where(j => j.Type == nameof(JobType.Recovery)).ToList();
        var durations = recoveries.Select(r => r.DurationSeconds).OfType<double>().ToList();
        return new RecoveryReport(
            recoveries.Count,
            recoveries.Count(r => r.Result == nameof(JobState.Succeeded)),
            recoveries.Count(r => r.Result == nameof(JobState.Failed)),
            recoveries.Count(r => r.Result == nameof(JobState.Cancelled)),
            durations.Count == 0 ? null : Math.Round(durations.Average(), 1),
            durations.Count == 0 ? null : durations.Max(),
            recoveries.Sum(r => r.Bytes),
            recoveries);
    }

    private static DiskUtilizationReport Disk(Context c, PoolSpace pool)
    {
        var used = pool.TotalBytes is { } total && pool.FreeBytes is { } free ? total - free : (long?)null;
        var perDay = c.Period.Days
            .Select((day, i) => new DayUse(day, c.Points.Where(p => p.CreatedAt < c.Period.DayEnd(i)).Sum(p => p.StoredBytes)))
            .ToList();
        var (slope, trend) = LinearTrend(perDay.Select(d => (double)d.StoredBytes).ToList());
        var stored = c.Points.Sum(p => p.StoredBytes);
        var rows = c.Points
            .GroupBy(p => (p.ComputerName, p.DataSourceId))
            .Select(g =>
            {
                var d = c.DataSources.GetValueOrDefault(g.Key);
                var bytes = g.Sum(p => p.StoredBytes);
                return new DataSourceUse(
                    g.Key.DataSourceId, d?.Name ?? g.Key.DataSourceId, g.Key.ComputerName, g.Count(), bytes,
                    g.Where(p => p.CreatedAt >= c.Period.From).Sum(p => p.StoredBytes), Rate(bytes, stored));
            })
            .OrderByDescending(r => r.StoredBytes).ThenBy(r => r.Computer, StringComparer.Ordinal).ThenBy(r => r.DataSource, StringComparer.Ordinal)
            .ToList();
        return new DiskUtilizationReport(
            pool.Location, pool.TotalBytes, pool.FreeBytes, used, used is { } u && pool.TotalBytes is > 0 ? Rate(u, pool.TotalBytes.Value) : null,
            stored, c.Points.Where(p => p.CreatedAt >= c.Period.From).Sum(p => p.StoredBytes),
            slope is { } s ? Math.Round(s, 1) : null,
            slope is > 0 && pool.FreeBytes is { } left ? Math.Round(left / slope.Value, 1) : null,
            perDay, trend, rows);
    }

    /// <summary>The least-squares line through the values (one per day): its slope (per day) and its value on each day.</summary>
    internal static (double? Slope, IReadOnlyList<double> Values) LinearTrend(IReadOnlyList<double> values)
    {
        if (values.Count < 2)
        {
            return (null, values);
        }

        var meanX = (values.Count - 1) / 2.0;
        var meanY = values.Average();
        var slope = values.Select((y, x) => (x - meanX) * (y - meanY)).Sum() / values.Select((_, x) => (x - meanX) * (x - meanX)).Sum();
        return (slope, values.Select((_, x) => Math.Round(meanY + (slope * (x - meanX)), 1)).ToList());
    }

    private static LicenceReport Licence(Context c, Management.LicenceState state) => new(
        state.Mode.ToString(),
        state.Summary,
        state.EvaluationEndsAt is { } ends ? c.Period.Local(ends) : null,
        state.Tiers.Select(t => new TierUse(t.Name, t.Licensed, t.InUse, t.Available)).ToList(),
        state.Consumptions
            .OrderBy(x => x.Computer, StringComparer.Ordinal).ThenBy(x => x.Tier)
            .Select(x => new ComputerLicence(x.Computer, x.Tier.ToDpmlName(), c.Period.Local(x.Since), c.DataSources.Values.Count(d => d.ComputerName == x.Computer && d.ProtectionGroupId is not null)))
            .ToList(),
        state.Licences
            .Select(l => new LicenceLine(l.File, l.Id, l.Licensee, l.ExpiresAt is { } e ? c.Period.Local(e) : null, l.Validity.ToString(), l.Message))
            .ToList());

    private static TapeReport Tape(Context c)
    {
        var copies = c.Points
            .SelectMany(p => p.Copies.Where(x => x.Location == CopyLocation.Tape).Select(x => (Point: p, Copy: x)))
            .Select(pc => (pc.Point, Line: new TapeCopy(
                pc.Copy.Target, pc.Point.DataSourceId, pc.Point.ComputerName, c.Period.Local(pc.Point.CreatedAt), pc.Point.Bytes,
                pc.Copy.ExpiresAt is { } e ? c.Period.Local(e) : null)))
            .OrderBy(x => x.Line.Tape, StringComparer.Ordinal).ThenBy(x => x.Line.CreatedAt).ThenBy(x => x.Line.DataSource, StringComparer.Ordinal)
            .ToList();
        var media = copies
            .GroupBy(x => x.Line.Tape, StringComparer.Ordinal)
            .Select(g => new TapeUse(
                g.Key, g.Count(), g.Select(x => (x.Line.Computer, x.Line.DataSource)).Distinct().Count(), g.Sum(x => x.Line.Bytes),
                g.Min(x => x.Line.CreatedAt), g.Max(x => x.Line.CreatedAt), g.Count(x => x.Point.CreatedAt >= c.Period.From),
                g.Max(x => x.Line.ExpiresAt)))
            .ToList();
        return new TapeReport(media.Count, copies.Select(x => x.Point.Id).Distinct(StringComparer.Ordinal).Count(), media.Sum(m => m.Bytes), media, copies.Select(x => x.Line).ToList());
    }

    private static JobLine ToLine(Job j, Period period) => new(
        period.Local(j.CreatedAt),
        j.Type.ToString(),
        j.State.ToString(),
        j.DataSourceId,
        j.Server,
        j.Attempt,
        j.StartedAt is { } started && j.EndedAt is { } ended ? Math.Round((ended - started).TotalSeconds, 1) : null,
        j.BytesDone,
        j.ItemsDone,
        j.Error);

    private static string Day(DateTimeOffset local) => local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static double? Rate(long part, long whole) => whole == 0 ? null : Math.Round(100.0 * part / whole, 1);

    private static double? Ratio(long bytes, long stored) => stored == 0 ? null : Math.Round((double)bytes / stored, 2);

    /// <summary>The period, its days, and times shown in its start's offset.</summary>
    private sealed class Period
    {
        private readonly List<DateTimeOffset> _dayStarts = [];

        public Period(DateTimeOffset from, DateTimeOffset to)
        {
            (From, To) = (from, to);
            for (var day = new DateTimeOffset(from.Date, from.Offset); day < to; day = day.AddDays(1))
            {
                _dayStarts.Add(day);
            }

            Days = _dayStarts.Select(Day).ToList();
        }

        public DateTimeOffset From { get; }

        public DateTimeOffset To { get; }

        public IReadOnlyList<string> Days { get; }

        public DateTimeOffset DayEnd(int index) => index + 1 < _dayStarts.Count ? _dayStarts[index + 1] : To;

        public DateTimeOffset Local(DateTimeOffset at) => at.ToOffset(From.Offset);
    }

    private sealed record Context(
        Period Period,
        IReadOnlyList<ProtectionGroup> Groups,
        IReadOnlyDictionary<(string ComputerName, string Id), DataSourceRecord> DataSources,
        IReadOnlyList<RecoveryPointRecord> Points,
        IReadOnlyList<JobLine> Jobs)
    {
        public List<RecoveryPointRecord> PointsOf(DataSourceRecord d) => Points.Where(p => p.ComputerName == d.ComputerName && p.DataSourceId == d.Id).ToList();

        public string? GroupName(DataSourceRecord? d) => Groups.FirstOrDefault(g => g.Id == d?.ProtectionGroupId)?.Name;
    }
}
