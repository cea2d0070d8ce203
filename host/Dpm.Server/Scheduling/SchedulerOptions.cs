namespace Dpm.Server.Scheduling;

/// <summary>How the server schedules protection: Quartz with its job store in the catalog's database.</summary>
public sealed class SchedulerOptions
{
    public const string Section = "Dpm:Scheduler";

    /// <summary>
    /// The schedule's name in the job store: every server of a cluster uses the same (the default); servers that
    /// share a process (tests) need one each.
    /// </summary>
    public string Name { get; set; } = "dpm";

    /// <summary>Whether this server runs scheduled jobs at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Share one schedule with every server on the same catalog database, each fire running on one of them.
    /// Only for PostgreSQL; default: on with PostgreSQL, off with SQLite.
    /// </summary>
    public bool? Clustered { get; set; }

    /// <summary>How often a clustered server says it is alive; a server silent for about twice this is taken to be dead.</summary>
    public int CheckinIntervalSeconds { get; set; } = 5;

    /// <summary>How late a fire may be before it counts as missed (and the misfire policy applies).</summary>
    public int MisfireThresholdSeconds { get; set; } = 60;
}
