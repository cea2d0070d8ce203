using Npgsql;

namespace Dpm.Workloads.Sql.PostgreSql;

/// <summary>Connections to a protected cluster, with errors that say which cluster and why (never a password).</summary>
internal static class PgConnection
{
    public static async Task<NpgsqlConnection> OpenAsync(PostgreSqlCluster cluster, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(cluster.ConnectionString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException($"can't connect to the {cluster.Describe()}: {Reason(ex)}", ex);
        }
    }

    /// <summary>What went wrong, in the server's words when it said something.</summary>
    public static string Reason(Exception ex) => ex switch
    {
        PostgresException postgres => $"{postgres.MessageText} ({postgres.SqlState})",
        NpgsqlException { InnerException: { } inner } => inner.Message,
        _ => ex.Message,
    };

    public static async Task<T> ScalarAsync<T>(this NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
