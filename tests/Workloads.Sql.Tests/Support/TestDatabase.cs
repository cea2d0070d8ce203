using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Dpm.Workloads.Sql.Tests.Support;

/// <summary>
/// SQLite databases of the tests: a table of rows whose payload carries its own digest, so a torn or mixed row
/// shows, and whose ids are handed out in order, so a missing row shows.
/// </summary>
public static class TestDatabase
{
    /// <summary>Creates a database with the rows table, in the given journal mode (<c>wal</c>, <c>delete</c>).</summary>
    public static string Create(string path, string journalMode = "wal", int rows = 0)
    {
        using (var connection = Open(path))
        {
            Execute(connection, $"PRAGMA journal_mode = {journalMode}");
            Execute(connection, "CREATE TABLE rows (id INTEGER PRIMARY KEY, payload BLOB NOT NULL, digest TEXT NOT NULL)");
            for (var i = 0; i < rows; i++)
            {
                Insert(connection, i);
            }
        }

        return path;
    }

    /// <summary>A connection without pooling: the file is free once it is disposed.</summary>
    public static SqliteConnection Open(string path, SqliteOpenMode mode = SqliteOpenMode.ReadWriteCreate)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false, DefaultTimeout = 120 }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Inserts one row in its own committed transaction; its payload (100 B to 6 KB, so some rows overflow a page) depends on <paramref name="seed"/>.</summary>
    public static void Insert(SqliteConnection connection, int seed)
    {
        var payload = new byte[100 + (int)(seed * 7919L % 6000)];
        new Random(seed).NextBytes(payload);
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO rows (payload, digest) VALUES ($payload, $digest)";
        command.Parameters.AddWithValue("$payload", payload);
        command.Parameters.AddWithValue("$digest", Convert.ToHexString(SHA256.HashData(payload)));
        command.ExecuteNonQuery();
        transaction.Commit();
    }

    public static string IntegrityCheck(string path)
    {
        using var connection = Open(path, SqliteOpenMode.ReadWrite);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return string.Join("; ", ReadAll(command));
    }

    /// <summary>The rows a database holds, and what is wrong with them: ids not 1..count, or a payload that doesn't match its digest.</summary>
    public static (long Count, IReadOnlyList<string> Problems) ReadRows(string path)
    {
        using var connection = Open(path, SqliteOpenMode.ReadWrite);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, payload, digest FROM rows ORDER BY id";
        using var rows = command.ExecuteReader();
        var problems = new List<string>();
        long count = 0;
        while (rows.Read())
        {
            count++;
            if (rows.GetInt64(0) != count)
            {
                problems.Add($"row {count} has id {rows.GetInt64(0)}");
            }

            if (Convert.ToHexString(SHA256.HashData((byte[])rows.GetValue(1))) != rows.GetString(2))
            {
                problems.Add($"row {rows.GetInt64(0)}: its payload doesn't match its digest");
            }
        }

        return (count, problems);
    }

    /// <summary>Asserts that a database holds rows 1 to <paramref name="count"/>, each intact.</summary>
    public static void AssertRows(string path, long count)
    {
        var (found, problems) = ReadRows(path);
        Assert.Empty(problems);
        Assert.Equal(count, found);
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static List<string> ReadAll(SqliteCommand command)
    {
        using var rows = command.ExecuteReader();
        var all = new List<string>();
        while (rows.Read())
        {
            all.Add(rows.GetString(0));
        }

        return all;
    }
}
