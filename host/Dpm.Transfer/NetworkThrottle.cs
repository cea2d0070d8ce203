using System.Threading.RateLimiting;
using Dpm.Transfer.Wire;

namespace Dpm.Transfer;

/// <summary>
/// Network bandwidth usage throttling of one computer: a token bucket at the work-hours rate during the
/// server's work hours and at the non-work-hours rate otherwise (0: no limit). The bucket starts empty when the
/// throttle is made (at the start of a transfer) and when the rate changes: what went since then is never more
/// than the rate allows for the time since then, however short, so there is no burst at the start. It holds a
/// second's worth at most: after a pause (reading, chunking, the server answering) that much may go at once.
/// </summary>
public sealed class NetworkThrottle : IDisposable
{
    /// <summary>How often a second the bucket is replenished.</summary>
    private const int PeriodsPerSecond = 20;

    private readonly Throttle? _settings;
    private readonly TimeProvider _time;
    private TokenBucketRateLimiter? _bucket;
    private long _bucketRate;

    /// <summary>Throttling from now on, by <paramref name="settings"/> (none when null) on the clock of <paramref name="time"/>.</summary>
    public NetworkThrottle(Throttle? settings, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _settings = settings;
        _time = time;
        Follow(Math.Min(RateAt(time.GetUtcNow()), int.MaxValue));
    }

    /// <summary>The rate in bytes per second that applies at <paramref name="now"/>; 0 for none.</summary>
    public long RateAt(DateTimeOffset now)
    {
        if (_settings is null)
        {
            return 0;
        }

        var local = now.ToOffset(TimeSpan.FromMinutes(_settings.UtcOffsetMinutes));
        var minute = (local.Hour * 60) + local.Minute;
        var working = ((_settings.WorkDays >> (int)local.DayOfWeek) & 1) == 1 && minute >= _settings.WorkStartMinute && minute < _settings.WorkEndMinute;
        return working ? _settings.WorkHoursRate : _settings.NonWorkHoursRate;
    }

    /// <summary>Waits until <paramref name="bytes"/> may go on the wire.</summary>
    public async ValueTask WaitAsync(long bytes, CancellationToken cancellationToken)
    {
        var rate = Math.Min(RateAt(_time.GetUtcNow()), int.MaxValue);
        if (Follow(rate) is not { } bucket)
        {
            return;
        }

        // A period's worth at a time: a waiter that needed a full bucket would lose what comes in between the
        // moment the bucket is full and the replenishment that lets it go.
        var perPeriod = PerPeriod(rate);
        for (var left = bytes; left > 0;)
        {
            var take = (int)Math.Min(left, perPeriod);
            using var lease = await bucket.AcquireAsync(take, cancellationToken);
            left -= take;
        }
    }

    public void Dispose() => _bucket?.Dispose();

    private static int PerPeriod(long rate) => (int)Math.Max(1, rate / PeriodsPerSecond);

    /// <summary>The bucket for <paramref name="rate"/>: the one there is, or a new, empty one when the rate changed; null for no limit.</summary>
    private TokenBucketRateLimiter? Follow(long rate)
    {
        if (rate == _bucketRate)
        {
            return _bucket;
        }

        _bucket?.Dispose();
        _bucket = null;
        _bucketRate = rate;
        if (rate <= 0)
        {
            return null;
        }

        _bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = (int)rate,
            TokensPerPeriod = PerPeriod(rate),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1.0 / PeriodsPerSecond),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
        using var drained = _bucket.AttemptAcquire((int)rate); // a new bucket is full: what goes counts from now
        return _bucket;
    }
}
