using Microsoft.Extensions.Configuration;

namespace Dpm.Workloads.Sql;

/// <summary>One PostgreSQL cluster the agent protects (section <c>Plugins:Dpm.Workloads.Sql:PostgreSql:N</c>).</summary>
internal sealed record PostgreSqlCluster
{
    /// <summary>The cluster's name in DpmPlugins (the data source id is <c>pgsql:NAME</c>).</summary>
    public required string Name { get; init; }

    public string Host { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 5432;

    /// <summary>A superuser, or a role with the REPLICATION attribute and pg_read_all_settings.</summary>
    public string User { get; init; } = "postgres";

    /// <summary>
    /// The password, from the agent's protected configuration: <c>PasswordFile</c> (a file only the agent's user can
    /// read) or the environment; never logged, never in an error.
    /// </summary>
    public string? Password { get; init; }

    /// <summary>Where <c>archive_command</c> puts WAL segments; the agent reads them from there.</summary>
    public required string ArchiveDirectory { get; init; }

    /// <summary>The PostgreSQL programs (pg_ctl) for recovery.</summary>
    public string BinDirectory { get; init; } = "/usr/lib/postgresql/15/bin";

    /// <summary>The operating system user the cluster runs as (recovered files are given to it).</summary>
    public string ServiceUser { get; init; } = "postgres";

    /// <summary>How long a synchronization waits for the archiver to deliver the segment it closed.</summary>
    public TimeSpan ArchiveWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The connection string (with the password, when there is one: never log it).</summary>
    public string ConnectionString(string database = "postgres") =>
        new Npgsql.NpgsqlConnectionStringBuilder { Host = Host, Port = Port, Username = User, Password = Password, Database = database, Pooling = false, Timeout = 10 }.ConnectionString;

    /// <summary>Where the cluster is, for messages (no credentials).</summary>
    public string Describe() => $"PostgreSQL cluster '{Name}' at {Host}:{Port} (user {User})";
}

/// <summary>
/// The plugin's configuration (section <c>Plugins:Dpm.Workloads.Sql</c>), read by hand (the host shares only the
/// configuration abstractions): <c>PostgreSql:N:Name|Host|Port|User|PasswordFile|ArchiveDirectory|BinDirectory|
/// ServiceUser|ArchiveWaitSeconds</c>, and <c>Sqlite:N</c> for SQLite database files or folders that hold them.
/// </summary>
internal sealed record SqlWorkloadOptions
{
    public IReadOnlyList<PostgreSqlCluster> Clusters { get; init; } = [];

    /// <summary>SQLite database files, or folders whose <c>*.db</c>, <c>*.sqlite</c> and <c>*.sqlite3</c> files are listed.</summary>
    public IReadOnlyList<string> Sqlite { get; init; } = [];

    /// <summary>Reads and checks the options; a wrong value fails with a message that names the key (never a secret).</summary>
    public static SqlWorkloadOptions Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var clusters = new List<PostgreSqlCluster>();
        foreach (var section in configuration.GetSection("PostgreSql").GetChildren())
        {
            string Required(string key) => section[key] is { Length: > 0 } value ? value : throw new InvalidOperationException($"Configuration key {section.Path}:{key} is required.");
            var name = Required("Name");
            if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z0-9_.-]{1,64}$"))
            {
                throw new InvalidOperationException($"Configuration key {section.Path}:Name must be letters, digits, '.', '_' or '-', not '{name}'.");
            }

            var port = section["Port"] is { } p ? int.TryParse(p, out var parsed) && parsed is > 0 and < 65536 ? parsed : throw new InvalidOperationException($"Configuration key {section.Path}:Port must be a TCP port, not '{p}'.") : 5432;
            string? password = null;
            if (section["PasswordFile"] is { Length: > 0 } passwordFile)
            {
                try
                {
                    password = File.ReadAllText(passwordFile).TrimEnd('\r', '\n');
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new InvalidOperationException($"Configuration key {section.Path}:PasswordFile names '{passwordFile}', which can't be read: {ex.Message}", ex);
                }
            }
            else if (Environment.GetEnvironmentVariable($"DPM_PGPASSWORD_{name.ToUpperInvariant().Replace('-', '_').Replace('.', '_')}") is { Length: > 0 } fromEnvironment)
            {
                password = fromEnvironment;
            }

            var archive = Required("ArchiveDirectory");
            if (!Path.IsPathFullyQualified(archive))
            {
                throw new InvalidOperationException($"Configuration key {section.Path}:ArchiveDirectory must be an absolute path, not '{archive}'.");
            }

            clusters.Add(new PostgreSqlCluster
            {
                Name = name,
                Host = section["Host"] ?? "127.0.0.1",
                Port = port,
                User = section["User"] ?? "postgres",
                Password = password,
                ArchiveDirectory = archive,
                BinDirectory = section["BinDirectory"] ?? "/usr/lib/postgresql/15/bin",
                ServiceUser = section["ServiceUser"] ?? "postgres",
                ArchiveWait = TimeSpan.FromSeconds(int.TryParse(section["ArchiveWaitSeconds"], out var wait) && wait > 0 ? wait : 60),
            });
        }

        if (clusters.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new InvalidOperationException($"Two PostgreSQL clusters are named '{twice.Key}'.");
        }

        var sqlite = configuration.GetSection("Sqlite").GetChildren().Select(c => c.Value).OfType<string>().ToList();
        if (sqlite.FirstOrDefault(s => !Path.IsPathFullyQualified(s)) is { } relative)
        {
            throw new InvalidOperationException($"Configuration key Sqlite lists '{relative}', which is not an absolute path.");
        }

        return new SqlWorkloadOptions { Clusters = clusters, Sqlite = sqlite };
    }
}
