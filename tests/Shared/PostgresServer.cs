using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Dpm.Tests;

/// <summary>
/// A real PostgreSQL 15 cluster of the tests' own: initdb into a temporary folder, started on a free loopback
/// port (as the postgres user when the tests run as root), stopped and deleted at the end.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string _folder;
    private readonly bool _asPostgres = Environment.UserName == "root";

    /// <param name="archive">Archive the WAL (archive_mode on, an archive_command that copies each segment into <see cref="ArchiveDirectory"/>) and keep commit timestamps.</param>
    public PostgresServer(bool archive = false)
    {
        if (!File.Exists(Path.Combine(Bin, "initdb")))
        {
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({Bin}/initdb is missing): the test command installs postgresql-15");
        }

        _folder = Directory.CreateTempSubdirectory("dpm-pg-").FullName;
        if (_asPostgres)
        {
            Run("chown", "postgres:", _folder);
        }

        Port = FreePort();
        var data = Path.Combine(_folder, "data");
        Pg("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync");
        File.AppendAllText(Path.Combine(data, "postgresql.conf"), $"\nlisten_addresses='127.0.0.1'\nport={Port}\nunix_socket_directories='{_folder}'\nfsync=off\n");
        if (archive)
        {
            Directory.CreateDirectory(ArchiveDirectory);
            if (_asPostgres)
            {
                Run("chown", "postgres:", ArchiveDirectory);
            }

            File.AppendAllText(
                Path.Combine(data, "postgresql.conf"),
                $"archive_mode=on\narchive_command='test ! -f {ArchiveDirectory}/%f && cp %p {ArchiveDirectory}/%f.tmp && mv {ArchiveDirectory}/%f.tmp {ArchiveDirectory}/%f'\ntrack_commit_timestamp=on\n");
        }

        Pg("pg_ctl", "-D", data, "-l", Path.Combine(_folder, "server.log"), "-w", "start");
    }

    public int Port { get; }

    /// <summary>The cluster's data directory.</summary>
    public string DataDirectory => Path.Combine(_folder, "data");

    /// <summary>Where archive_command puts the WAL (when archiving).</summary>
    public string ArchiveDirectory => Path.Combine(_folder, "archive");

    /// <summary>The folder the cluster and everything of it lives in.</summary>
    public string Folder => _folder;

    /// <summary>Runs pg_ctl (as the postgres user when the tests run as root), for example to stop a recovered cluster.</summary>
    public void PgCtl(params string[] args) => Pg("pg_ctl", args);

    /// <summary>A connection string to a database of this server.</summary>
    public string ConnectionString(string database = "postgres") => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=false";

    public void Dispose()
    {
        try
        {
            Pg("pg_ctl", "-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop");
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private void Pg(string tool, params string[] args) =>
        Run(_asPostgres ? "runuser" : Path.Combine(Bin, tool), [.. (_asPostgres ? new[] { "-u", "postgres", "--", Path.Combine(Bin, tool) } : []), .. args]);

    private static void Run(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', args)} failed ({process.ExitCode}): {error}{output.Result}");
        }
    }

    /// <summary>A TCP port free on the loopback interface just now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
