using System.Globalization;
using System.Security.Cryptography;
using Dpm.Contracts.Spi;

namespace Dpm.Storage;

/// <summary>
/// Tells garbage collection that a writer is running, since when, and until when at least: objects
/// <c>leases/&lt;writer id&gt;.&lt;expiry, unix seconds&gt;</c>, renewed by writing a new one before the old one
/// expires. A writer that crashed stops renewing, and its lease simply runs out.
/// </summary>
internal sealed class WriterLease : IAsyncDisposable
{
    public const string Prefix = "leases/";
    private readonly IObjectStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _duration;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewal;
    private string _current;

    private WriterLease(IObjectStore store, TimeProvider time, TimeSpan duration, string writerId, string current, DateTimeOffset expiry)
    {
        _store = store;
        _time = time;
        _duration = duration;
        WriterId = writerId;
        _current = current;
        Expiry = expiry;
        _renewal = RenewAsync();
    }

    public string WriterId { get; }

    /// <summary>Until when garbage collection leaves this writer's data alone. A writer must not commit after it.</summary>
    public DateTimeOffset Expiry { get; private set; }

    public static async Task<WriterLease> TakeAsync(IObjectStore store, TimeProvider time, TimeSpan duration, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var writerId = $"{now.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        var name = await PutAsync(store, writerId, now + duration, cancellationToken);
        return new WriterLease(store, time, duration, writerId, name, now + duration);
    }

    /// <summary>The writers whose leases have not run out: their ids (which start with their start time) and start times.</summary>
    public static async Task<IReadOnlyList<(string WriterId, DateTimeOffset StartedAt)>> ListActiveAsync(IObjectStore store, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var active = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await foreach (var obj in store.ListAsync(Prefix, cancellationToken))
        {
            var name = obj.Name[Prefix.Length..];
            var dot = name.LastIndexOf('.');
            if (dot < 0 || !long.TryParse(name[(dot + 1)..], CultureInfo.InvariantCulture, out var expiry)
                || DateTimeOffset.FromUnixTimeSeconds(expiry) <= now)
            {
                continue;
            }

            var writerId = name[..dot];
            if (DateTime.TryParseExact(writerId.Split('-')[0], "yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var started))
            {
                active[writerId] = new DateTimeOffset(started, TimeSpan.Zero);
            }
        }

        return [.. active.Select(a => (a.Key, a.Value))];
    }

    /// <summary>Deletes leases that ran out long ago (left by crashed writers).</summary>
    public static async Task<int> DeleteExpiredAsync(IObjectStore store, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var deleted = 0;
        await foreach (var obj in store.ListAsync(Prefix, cancellationToken))
        {
            var dot = obj.Name.LastIndexOf('.');
            if (dot > 0 && long.TryParse(obj.Name[(dot + 1)..], CultureInfo.InvariantCulture, out var expiry)
                && DateTimeOffset.FromUnixTimeSeconds(expiry) < now.AddHours(-1) && await store.DeleteAsync(obj.Name, cancellationToken))
            {
                deleted++;
            }
        }

        return deleted;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _renewal;
        }
        catch (OperationCanceledException)
        {
        }

        await _store.DeleteAsync(_current, CancellationToken.None);
        _stop.Dispose();
    }

    private static async Task<string> PutAsync(IObjectStore store, string writerId, DateTimeOffset expiry, CancellationToken cancellationToken)
    {
        var name = $"{Prefix}{writerId}.{expiry.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";
        await store.PutAsync(name, new MemoryStream([]), null, cancellationToken);
        return name;
    }

    private async Task RenewAsync()
    {
        using var timer = new PeriodicTimer(_duration / 3, _time);
        while (await timer.WaitForNextTickAsync(_stop.Token))
        {
            var expiry = _time.GetUtcNow() + _duration;
            var renewed = await PutAsync(_store, WriterId, expiry, _stop.Token);
            Expiry = expiry;
            await _store.DeleteAsync(_current, _stop.Token);
            _current = renewed;
        }
    }
}
