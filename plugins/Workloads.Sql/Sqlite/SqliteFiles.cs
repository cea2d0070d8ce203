using Microsoft.Data.Sqlite;

namespace Dpm.Workloads.Sql.Sqlite;

/// <summary>Connections to SQLite database files, and the files that go with a database.</summary>
internal static class SqliteFiles
{
    /// <summary>SQLITE_NOTADB: the file is not a database.</summary>
    private const int NotADatabase = 26;

    /// <summary>The files SQLite keeps beside a database: the write-ahead log, its index, the rollback journal.</summary>
    public static readonly string[] Companions = ["-wal", "-shm", "-journal"];

    /// <summary>How every SQLite database file begins.</summary>
    private static readonly byte[] Header = "SQLite format 3\0"u8.ToArray();

    /// <summary>SQLITE_BUSY and SQLITE_LOCKED: another connection holds a lock.</summary>
    public static bool IsLockedByOthers(SqliteException exception) => exception?.SqliteErrorCode is 5 or 6;

    /// <summary>
    /// Opens a database file without pooling (the file is free once the connection is disposed); SQLite waits up
    /// to <paramref name="busySeconds"/> for a lock another connection holds.
    /// </summary>
    public static SqliteConnection Open(string path, SqliteOpenMode mode, int busySeconds = 60)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false, DefaultTimeout = busySeconds }.ToString());
        try
        {
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout = {busySeconds * 1000}");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens an existing database, and fails with a message that names it when it is missing or is not a SQLite
    /// database. Only the file's header is read, without a lock: a busy database is not waited for here.
    /// </summary>
    public static SqliteConnection OpenExisting(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(Directory.Exists(path)
                ? $"{path} is a folder, not a SQLite database file"
                : $"the SQLite database {path} doesn't exist");
        }

        var header = new byte[Header.Length];
        int read;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            read = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }

        if (read > 0 && !header.AsSpan(0, read).SequenceEqual(Header))
        {
            throw new InvalidOperationException($"{path} is not a SQLite database (it doesn't begin with the SQLite header, \"SQLite format 3\")");
        }

        return Open(path, SqliteOpenMode.ReadWrite); // an empty file is an empty database, as SQLite sees it
    }

    /// <summary>What <c>PRAGMA integrity_check</c> says of a database file: "ok", or its findings (or why it couldn't be read).</summary>
    public static string CheckIntegrity(string path)
    {
        try
        {
            using var connection = Open(path, SqliteOpenMode.ReadWrite);
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA integrity_check";
            using var rows = command.ExecuteReader();
            var findings = new List<string>();
            while (rows.Read() && findings.Count < 10)
            {
                findings.Add(rows.GetString(0));
            }

            return string.Join("; ", findings);
        }
        catch (SqliteException ex)
        {
            return ex.SqliteErrorCode == NotADatabase ? $"not a SQLite database ({ex.Message})" : ex.Message;
        }
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Deletes a database file and its companions, where they exist.</summary>
    public static void Delete(string path)
    {
        File.Delete(path);
        foreach (var suffix in Companions)
        {
            File.Delete(path + suffix);
        }
    }
}
