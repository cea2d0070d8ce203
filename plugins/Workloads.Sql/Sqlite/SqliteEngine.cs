using System.Runtime.CompilerServices;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Microsoft.Extensions.Logging;

namespace Dpm.Workloads.Sql.Sqlite;

/// <summary>
/// SQLite: each configured database file, and each <c>*.db</c>, <c>*.sqlite</c> and <c>*.sqlite3</c> file in a
/// configured folder, is a data source (<c>sqlite:/abs/path.db</c>) protected with the online backup API while
/// its writers go on. Any absolute path is accepted as a data source, listed or not.
/// </summary>
internal sealed class SqliteEngine : ISqlEngine
{
    private const string Prefix = "sqlite:";

    private static readonly string[] DatabaseExtensions = [".db", ".sqlite", ".sqlite3"];

    private readonly IReadOnlyList<string> _configured;
    private readonly string _workFolder;
    private readonly string _computerName;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <param name="configured">Database files and folders (<c>Plugins:Dpm.Workloads.Sql:Sqlite:N</c>).</param>
    /// <param name="stateDirectory">The plugin's private folder: backup copies live in it while the host reads them.</param>
    /// <param name="computerName">The computer the agent runs on (recovery to another one is refused).</param>
    /// <param name="logger">The plugin's logger.</param>
    /// <param name="time">The clock.</param>
    public SqliteEngine(IReadOnlyList<string> configured, string stateDirectory, string computerName, ILogger logger, TimeProvider time)
    {
        (_configured, _computerName, _logger, _time) = (configured, computerName, logger, time);
        _workFolder = Path.Combine(stateDirectory, "sqlite-backups");
        if (Directory.Exists(_workFolder))
        {
            Directory.Delete(_workFolder, recursive: true); // copies left by an agent that stopped during a synchronization
        }
    }

    public bool Owns(string dataSourceId) => dataSourceId.StartsWith(Prefix, StringComparison.Ordinal);

    public async IAsyncEnumerable<DataSource> DiscoverAsync(DataSource? parent, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        if (parent is not null)
        {
            yield break; // a database is protected whole: nothing below it
        }

        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var configured in _configured)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IEnumerable<string> files = File.Exists(configured) ? [configured]
                : Directory.Exists(configured) ? Directory.EnumerateFiles(configured).Where(IsDatabaseName).Order(StringComparer.Ordinal)
                : throw new InvalidOperationException($"the SQLite database or folder {configured} (configuration Plugins:Dpm.Workloads.Sql:Sqlite) doesn't exist");
            foreach (var file in files.Select(Path.GetFullPath).Where(listed.Add))
            {
                yield return new DataSource
                {
                    Id = Prefix + file,
                    Name = Path.GetFileName(file),
                    Kind = "SqliteDatabase",
                    Location = file,
                    SizeBytes = new FileInfo(file).Length,
                };
            }
        }
    }

    public ValueTask<IProtectionSession> OpenSessionAsync(DataSource dataSource, ProtectionSessionOptions options, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IProtectionSession>(new SqliteProtectionSession(PathOf(dataSource.Id), dataSource, _workFolder, _time, _logger));

    public ValueTask<RecoveryResult> RecoverAsync(IRecoverySource source, RecoveryRequest request, IProgress<ProgressReport>? progress, CancellationToken cancellationToken) =>
        new SqliteRecovery(_computerName, _time, _logger).RecoverAsync(PathOf(source.DataSource.Id), source, request, progress, cancellationToken);

    private static bool IsDatabaseName(string file) => DatabaseExtensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase);

    /// <summary>The database file a data source id names.</summary>
    private static string PathOf(string dataSourceId)
    {
        var path = dataSourceId[Prefix.Length..];
        return Path.IsPathFullyQualified(path)
            ? Path.GetFullPath(path)
            : throw new ArgumentException($"'{dataSourceId}' doesn't name a SQLite database by its absolute path ({Prefix}/path/to/file.db)", nameof(dataSourceId));
    }
}
