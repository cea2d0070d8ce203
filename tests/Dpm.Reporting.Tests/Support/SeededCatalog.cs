using Dpm.Catalog;
using Dpm.Contracts;
using Dpm.Management;

namespace Dpm.Reporting.Tests.Support;

/// <summary>
/// A real catalog (a migrated SQLite file, or a database on a real PostgreSQL) seeded with three weeks of a small
/// deployment, always the same: two protection groups, four protected data sources on two computers (one misses its
/// SLA by a gap, one by stopping), daily and twice-daily recovery points with disk, tape and cloud copies, the jobs
/// that made them and some that failed, recoveries, and a licence. With its report folders and a fixed clock, it is
/// what the reports of the tests are made from.
/// </summary>
public sealed class SeededCatalog : IReportSources, IDisposable
{
    /// <summary>The clock of the tests: the seeded deployment's "now".</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    /// <summary>The week the reports of the golden files cover, in a +01:00 offset (days start at midnight there).</summary>
    public static readonly DateTimeOffset From = new(2026, 11, 23, 0, 0, 0, TimeSpan.FromHours(1));

    public static readonly DateTimeOffset Until = From.AddDays(7);

    private const long GiB = 1L << 30;
    private const long MiB = 1L << 20;

    private readonly CatalogProvider _provider;
    private readonly string _connectionString;

    private SeededCatalog(string root, CatalogProvider provider, string connectionString)
    {
        (Root, _provider, _connectionString) = (root, provider, connectionString);
        Directory.CreateDirectory(OverrideFolder);
    }

    /// <summary>A folder of the test's own, deleted at the end.</summary>
    public string Root { get; }

    /// <summary>The deployment's template folder.</summary>
    public string OverrideFolder => Path.Combine(Root, "templates");

    /// <summary>The plugins' <c>reports</c> folders a test adds.</summary>
    public List<string> PluginFolders { get; } = [];

    public ReportOptions Options { get; } = new();

    /// <summary>A seeded catalog in a SQLite file.</summary>
    public static Task<SeededCatalog> CreateAsync() => CreateAsync(CatalogProvider.Sqlite, null);

    /// <summary>A seeded catalog on a provider; for PostgreSQL, <paramref name="connectionString"/> names an empty database.</summary>
    public static async Task<SeededCatalog> CreateAsync(CatalogProvider provider, string? connectionString)
    {
        var root = Directory.CreateTempSubdirectory("dpm-reports-").FullName;
        var catalog = new SeededCatalog(root, provider, connectionString ?? $"Data Source={Path.Combine(root, "catalog.db")};Pooling=False");
        catalog.Options.TemplatesDirectory = catalog.OverrideFolder;
        await Catalogs.MigrateAsync(provider, catalog._connectionString, CancellationToken.None);
        await catalog.SeedAsync();
        return catalog;
    }

    /// <summary>The renderer on this catalog, on the tests' clock.</summary>
    public ReportRenderer Renderer() => new(this, Options, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now));

    public CatalogContext OpenCatalog() => Catalogs.Create(_provider, _connectionString);

    public Task<PoolSpace> GetPoolSpaceAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new PoolSpace("disk:/var/lib/dpm/pool", TotalBytes: 2048 * GiB, FreeBytes: 1536 * GiB));

    public LicenceState GetLicences() => new()
    {
        Mode = LicenceMode.Licensed,
        Summary = "Licensed: C-DPML 0, S-DPML 10, E-DPML 5 computers",
        Licences =
        [
            new InstalledLicence
            {
                File = "contoso-2026.lic", Id = "lic-contoso-2026", Licensee = "Contoso", IssuedAt = Now.AddDays(-200), ExpiresAt = Now.AddDays(165),
                Computers = new ComputerCounts(0, 10, 5), Validity = LicenceValidity.Valid, Message = "valid",
            },
        ],
        Tiers = [new(LicenceTier.Client, "C-DPML", 0, 0), new(LicenceTier.Standard, "S-DPML", 10, 1), new(LicenceTier.Enterprise, "E-DPML", 5, 1)],
        Consumptions = [new("fs01", LicenceTier.Standard, Now.AddDays(-20)), new("sql01", LicenceTier.Enterprise, Now.AddDays(-18))],
    };

    public IReadOnlyList<string> GetPluginTemplateFolders() => PluginFolders;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task SeedAsync()
    {
        var start = new DateTimeOffset(2026, 11, 9, 0, 0, 0, TimeSpan.Zero); // three weeks before the tests' "now"
        var finance = new ProtectionGroup
        {
            Id = new Guid("0c3f4e0a-0000-4000-8000-000000000001"), Name = "Finance", CreatedAt = start,
            Policy = new ProtectionPolicy { RetentionDays = 14, SynchronizationMinutes = 15, RecoveryPointTimes = ["Daily 20:00"], SlaHours = 24 },
        };
        var databases = new ProtectionGroup
        {
            Id = new Guid("0c3f4e0a-0000-4000-8000-000000000002"), Name = "Databases", CreatedAt = start,
            Policy = new ProtectionPolicy { RetentionDays = 10, SynchronizationMinutes = null, RecoveryPointTimes = ["Daily 08:00", "Daily 20:00"], SlaHours = 13 },
        };
        var ledger = Source("fs01", "folder:/srv/finance/ledger", "ledger", "Folder", finance);
        var payroll = Source("fs01", "folder:/srv/finance/payroll, \"Q4\"", "payroll, \"Q4\"", "Folder", finance); // a name that needs escaping in CSV and Markdown
        var sales = Source("sql01", "postgres:main/sales", "sales", "Database", databases);
        var crm = Source("sql01", "postgres:main/crm", "crm <prod>", "Database", databases);
        var scratch = Source("fs01", "folder:/srv/scratch", "scratch", "Folder", null);

        var points = new List<RecoveryPointRecord>();
        var jobs = new List<Job>();
        var number = 0;
        for (var day = 0; day < 21; day++)
        {
            var date = start.AddDays(day);
            // The ledger: a recovery point every evening, growing a little each day.
            Point(ledger, date.AddHours(20), 40 * GiB + (day * 256 * MiB), day == 0 ? 30 * GiB : (300 + (day * 13 % 200)) * MiB, JobType.ExpressFull, day);
            // Payroll: every evening but the 25th and 26th (its synchronizations failed): a 72-hour gap.
            if (day is 16 or 17)
            {
                Failed(payroll, date.AddHours(20), JobType.ExpressFull, "the volume of folder:/srv/finance/payroll, \"Q4\" is not mounted on fs01");
            }
            else
            {
                Point(payroll, date.AddHours(20), 6 * GiB, day == 0 ? 5 * GiB : 64 * MiB, JobType.ExpressFull, day);
            }

            // Sales: twice a day. CRM: until the 27th at 08:00; after that its agent stops answering.
            foreach (var hour in new[] { 8, 20 })
            {
                Point(sales, date.AddHours(hour), 120 * GiB, day == 0 && hour == 8 ? 70 * GiB : (900 + (day * 37 % 300)) * MiB, hour == 8 ? JobType.Synchronization : JobType.ExpressFull, day);
                if (date.AddHours(hour) <= new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero))
                {
                    Point(crm, date.AddHours(hour), 12 * GiB, day == 0 && hour == 8 ? 9 * GiB : 80 * MiB, hour == 8 ? JobType.Synchronization : JobType.ExpressFull, day);
                }
                else
                {
                    Failed(crm, date.AddHours(hour), JobType.Synchronization, "the agent on sql01 did not answer in 60 s (attempt 3 of 3)", attempt: 3);
                }
            }

            jobs.Add(Ran(JobType.Prune, null, date.AddHours(0.5), TimeSpan.FromSeconds(40), JobState.Succeeded, 0, 0, null));
            if (day % 7 == 3)
            {
                jobs.Add(Ran(JobType.ConsistencyCheck, sales.Id, date.AddHours(22), TimeSpan.FromMinutes(42), JobState.Succeeded, 120 * GiB, 5400, null));
                jobs.Add(Ran(JobType.Verify, null, date.AddHours(23), TimeSpan.FromMinutes(95), JobState.Succeeded, 400 * GiB, 0, null));
            }
        }

        // Recoveries in the reported week: two that worked, one that failed, one that was cancelled, and one still running.
        jobs.Add(Ran(JobType.Recovery, ledger.Id, new(2026, 11, 24, 10, 15, 0, TimeSpan.Zero), TimeSpan.FromMinutes(3.5), JobState.Succeeded, 2 * GiB, 128, null));
        jobs.Add(Ran(JobType.Recovery, sales.Id, new(2026, 11, 25, 14, 0, 0, TimeSpan.Zero), TimeSpan.FromMinutes(48), JobState.Succeeded, 118 * GiB, 1, null));
        jobs.Add(Ran(JobType.Recovery, payroll.Id, new(2026, 11, 26, 9, 30, 0, TimeSpan.Zero), TimeSpan.FromSeconds(12), JobState.Failed, 0, 0, "the target folder /restore/payroll is not writable: permission denied"));
        jobs.Add(Ran(JobType.Recovery, crm.Id, new(2026, 11, 28, 16, 0, 0, TimeSpan.Zero), TimeSpan.FromMinutes(2), JobState.Cancelled, 3 * GiB, 0, "cancelled on request"));
        jobs.Add(new Job
        {
            Id = Id(9999), Type = JobType.Recovery, State = JobState.Running, DataSourceId = ledger.Id, Server = "dpm01",
            CreatedAt = new(2026, 11, 29, 22, 0, 0, TimeSpan.Zero), StartedAt = new(2026, 11, 29, 22, 0, 0, TimeSpan.Zero), BytesDone = 512 * MiB, ItemsDone = 40,
        });

        await using var catalog = OpenCatalog();
        catalog.Computers.AddRange(new Computer { Name = "fs01", AttachedAt = start }, new Computer { Name = "sql01", AttachedAt = start });
        catalog.ProtectionGroups.AddRange(finance, databases);
        catalog.DataSources.AddRange(ledger, payroll, sales, crm, scratch);
        catalog.RecoveryPoints.AddRange(points);
        catalog.Jobs.AddRange(jobs);
        await catalog.SaveChangesAsync();

        void Point(DataSourceRecord source, DateTimeOffset at, long bytes, long stored, JobType type, int day)
        {
            var point = new RecoveryPointRecord
            {
                Id = $"rp-{++number:0000}", DataSourceId = source.Id, ComputerName = source.ComputerName, CreatedAt = at, Kind = type == JobType.Synchronization ? "Incremental" : "ExpressFull",
                Items = bytes / MiB, Bytes = bytes, StoredBytes = stored, BytesRead = stored * 2, NewBytes = stored,
                Copies = [new RecoveryPointCopy { Location = CopyLocation.Disk, Target = "disk:/var/lib/dpm/pool", ExpiresAt = at.AddDays(14) }],
            };
            if (at.DayOfWeek == DayOfWeek.Sunday && at.Hour == 20 && source.ProtectionGroupId == finance.Id)
            {
                // The weekly tape goal: Sunday's points of the finance group, a tape a week.
                point.Copies.Add(new RecoveryPointCopy { Location = CopyLocation.Tape, Target = $"TAPE-{day / 7 + 1:0000}", ExpiresAt = at.AddDays(365) });
            }

            if (at.Day % 5 == 0 && at.Hour == 20)
            {
                point.Copies.Add(new RecoveryPointCopy { Location = CopyLocation.Cloud, Target = "azure:dpm-longterm", ExpiresAt = at.AddDays(90) });
            }

            points.Add(point);
            var took = TimeSpan.FromSeconds(30 + (stored / (40 * MiB)));
            var first = points.Count(p => p.ComputerName == source.ComputerName && p.DataSourceId == source.Id) == 1;
            jobs.Add(Ran(first ? JobType.ReplicaCreation : type, source.Id, at, took, JobState.Succeeded, stored * 2, bytes / MiB, null));
        }

        void Failed(DataSourceRecord source, DateTimeOffset at, JobType type, string error, int attempt = 1) =>
            jobs.Add(Ran(type, source.Id, at, TimeSpan.FromSeconds(65), JobState.Failed, 0, 0, error, attempt));

        Job Ran(JobType type, string? dataSource, DateTimeOffset at, TimeSpan took, JobState state, long bytes, long items, string? error, int attempt = 1) => new()
        {
            Id = Id(jobs.Count + 1), Type = type, State = state, DataSourceId = dataSource, Server = "dpm01", Attempt = attempt,
            CreatedAt = at, StartedAt = at, EndedAt = at + took, BytesDone = bytes, ItemsDone = items, Error = error,
        };

        DataSourceRecord Source(string computer, string id, string name, string kind, ProtectionGroup? group) => new()
        {
            Id = id, ComputerName = computer, PluginId = kind == "Folder" ? "Dpm.Workloads.Files" : "Dpm.Workloads.Sql", Name = name, Kind = kind,
            ProtectionGroupId = group?.Id, Replica = ReplicaState.Consistent,
        };
    }

    private static Guid Id(int n) => new($"00000000-0000-4000-8000-{n:000000000000}");
}
