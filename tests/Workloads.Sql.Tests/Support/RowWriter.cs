namespace Dpm.Workloads.Sql.Tests.Support;

/// <summary>
/// An application writing to a database: a task that inserts rows one committed transaction at a time, on its
/// own connection, and counts the rows it committed, until it is stopped.
/// </summary>
public sealed class RowWriter : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _task;
    private long _committed;

    private RowWriter(string database, long alreadyThere)
    {
        _committed = alreadyThere;
        _task = Task.Factory.StartNew(() => Write(database), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Rows committed so far, the rows the database held when the writer started included.</summary>
    public long Committed => Interlocked.Read(ref _committed);

    public static RowWriter Start(string database, long alreadyThere = 0) => new(database, alreadyThere);

    /// <summary>Waits until at least <paramref name="rows"/> rows are committed (and fails if the writer failed).</summary>
    public async Task WaitForAsync(long rows)
    {
        while (Committed < rows)
        {
            if (_task.IsCompleted)
            {
                await _task;
                throw new InvalidOperationException("the writer stopped");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>Stops the writer; rethrows what made it fail, if anything did.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _task;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _task.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private void Write(string database)
    {
        using var connection = TestDatabase.Open(database, Microsoft.Data.Sqlite.SqliteOpenMode.ReadWrite);
        while (!_stop.IsCancellationRequested)
        {
            TestDatabase.Insert(connection, (int)Committed);
            Interlocked.Increment(ref _committed);
        }
    }
}
