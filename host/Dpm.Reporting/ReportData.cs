namespace Dpm.Reporting;

// What a template sees: plain records, read-only, their names in snake_case (LastRecoveryPoint → last_recovery_point).
// Times are in the offset of the period's start; a percentage is 0–100, null where there is nothing to divide by.

/// <summary>The period a report covers, [From, To), and its days (dates as yyyy-MM-dd).</summary>
public sealed record ReportPeriod(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<string> Days);

/// <summary>Everything the catalog says about a period: every report's data, so a custom template can use any of it.</summary>
public sealed record ReportData(
    ReportPeriod Period,
    DateTimeOffset GeneratedAt,
    StatusReport Status,
    ProtectionReport Protection,
    RecoveryPointReport RecoveryPoints,
    RecoveryReport Recovery,
    DiskUtilizationReport Disk,
    LicenceReport Licence,
    TapeReport Tape);

/// <summary>A job of the period. Its result is its state; <c>DurationSeconds</c> is null while it runs.</summary>
public sealed record JobLine(DateTimeOffset CreatedAt, string Type, string Result, string? DataSource, string? Server, int Attempt, double? DurationSeconds, long Bytes, long Items, string? Error);

/// <summary>Jobs of one type and how they ended. The success rate counts succeeded among succeeded and failed (cancelled ones are left out).</summary>
public sealed record JobTypeCount(string Type, int Total, int Succeeded, int Failed, int Cancelled, int Unfinished, long Bytes, double? SuccessRate);

/// <summary>One day's jobs and how they ended.</summary>
public sealed record DayStatus(string Date, int Total, int Succeeded, int Failed, double? SuccessRate);

/// <summary>The Status report: jobs by type and result over the period, by day, and the failures with their reasons.</summary>
public sealed record StatusReport(
    int Total,
    int Succeeded,
    int Failed,
    int Cancelled,
    int Unfinished,
    double? SuccessRate,
    IReadOnlyList<JobTypeCount> ByType,
    IReadOnlyList<DayStatus> Days,
    IReadOnlyList<JobLine> Failures,
    IReadOnlyList<JobLine> Jobs);

/// <summary>
/// A protected data source against its group's recovery point objective: the last good recovery point before the
/// end of the period, and the longest time in the period without a newer one than the SLA allows.
/// </summary>
public sealed record ProtectedDataSource(
    string DataSource,
    string Name,
    string Computer,
    string Kind,
    string Replica,
    DateTimeOffset? LastRecoveryPoint,
    double? AgeHours,
    int RecoveryPointsInPeriod,
    double? LongestGapHours,
    int SlaHours,
    bool RpoMet);

/// <summary>A protection group, its policy, and how its members kept to their SLA.</summary>
public sealed record GroupProtection(
    string Name,
    int RetentionDays,
    string Synchronization,
    string RecoveryPointTimes,
    int SlaHours,
    int RpoMet,
    double? RpoMetPercent,
    IReadOnlyList<ProtectedDataSource> Members);

/// <summary>The Protection report: per protection group and data source, the last good recovery point and whether the RPO was met.</summary>
public sealed record ProtectionReport(int DataSources, int RpoMet, int RpoMissed, double? RpoMetPercent, IReadOnlyList<GroupProtection> Groups);

/// <summary>A data source's recovery points as the catalog holds them at the end of the period. The dedup ratio is logical bytes over stored bytes.</summary>
public sealed record DataSourcePoints(
    string DataSource,
    string Name,
    string Computer,
    string? Group,
    int Count,
    int CreatedInPeriod,
    DateTimeOffset? Oldest,
    DateTimeOffset? Newest,
    long Bytes,
    long StoredBytes,
    double? DedupRatio,
    int OnDisk,
    int OnTape,
    int InCloud);

/// <summary>The Recovery Point report: counts, oldest and newest, stored size and dedup ratio, per data source.</summary>
public sealed record RecoveryPointReport(int Count, int CreatedInPeriod, long Bytes, long StoredBytes, double? DedupRatio, IReadOnlyList<DataSourcePoints> DataSources);

/// <summary>The Recovery report: the recoveries of the period, their results and durations.</summary>
public sealed record RecoveryReport(int Total, int Succeeded, int Failed, int Cancelled, double? AverageSeconds, double? LongestSeconds, long Bytes, IReadOnlyList<JobLine> Recoveries);

/// <summary>A data source's use of the storage pool: what its recovery points stored, and what the period added.</summary>
public sealed record DataSourceUse(string DataSource, string Name, string Computer, int RecoveryPoints, long StoredBytes, long GrowthBytes, double? SharePercent);

/// <summary>What the catalog's recovery points had stored by the end of a day.</summary>
public sealed record DayUse(string Date, long StoredBytes);

/// <summary>
/// The Disk Utilization report: the pool's capacity now, use per data source, growth by day over the period, and
/// the days until the pool is full if it keeps growing as the period's linear trend says.
/// </summary>
public sealed record DiskUtilizationReport(
    string Pool,
    long? TotalBytes,
    long? FreeBytes,
    long? UsedBytes,
    double? UsedPercent,
    long StoredBytes,
    long GrowthBytes,
    double? GrowthPerDay,
    double? DaysUntilFull,
    IReadOnlyList<DayUse> Days,
    IReadOnlyList<double> Trend,
    IReadOnlyList<DataSourceUse> DataSources);

/// <summary>A licence tier: computers licensed, in use, available.</summary>
public sealed record TierUse(string Tier, int Licensed, int InUse, int Available);

/// <summary>A computer that holds a licence, and how many of its data sources are protected.</summary>
public sealed record ComputerLicence(string Computer, string Tier, DateTimeOffset Since, int ProtectedDataSources);

/// <summary>An installed licence file and the verdict on it.</summary>
public sealed record LicenceLine(string File, string? Id, string? Licensee, DateTimeOffset? ExpiresAt, string Validity, string Message);

/// <summary>The Licence usage report: mode, tiers, the computers that consume licences, the licence files.</summary>
public sealed record LicenceReport(string Mode, string Summary, DateTimeOffset? EvaluationEndsAt, IReadOnlyList<TierUse> Tiers, IReadOnlyList<ComputerLicence> Computers, IReadOnlyList<LicenceLine> Licences);

/// <summary>A tape and the recovery points copied to it.</summary>
public sealed record TapeUse(string Tape, int RecoveryPoints, int DataSources, long Bytes, DateTimeOffset Oldest, DateTimeOffset Newest, int WrittenInPeriod, DateTimeOffset? ExpiresAt);

/// <summary>A recovery point's copy on a tape.</summary>
public sealed record TapeCopy(string Tape, string DataSource, string Computer, DateTimeOffset CreatedAt, long Bytes, DateTimeOffset? ExpiresAt);

/// <summary>The Tape report: tapes, what they hold, until when (only rendered when some recovery point has a copy on tape).</summary>
public sealed record TapeReport(int Tapes, int RecoveryPoints, long Bytes, IReadOnlyList<TapeUse> Media, IReadOnlyList<TapeCopy> Copies);
