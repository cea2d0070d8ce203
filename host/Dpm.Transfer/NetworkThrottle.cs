using System.Threading.RateLimiting;
using Dpm.Transfer.Wire;

namespace Dpm.Transfer;

/// <summary>
/// Network bandwidth usage throttling of one computer: a token bucket at the work-hours rate during the
/// server's work hours and at the non-work-hours rate otherwise (0: no limit), with bursts of a second's worth.
/// </summary>
public sealed class NetworkThrottle(Throttle? settings, TimeProvider time) : IDisposable
{
    private TokenBucketRateLimiter? _bucket;
    private long _bucketRate;

    /// <summary>The rate in bytes per second that applies at <paramref name="now"/>; 0 for none.</summary>
    public long RateAt(DateTimeOffset now)
    {
        if (settings is null)
        {
            return 0;
        }

        var local = now.ToOffset(TimeSpan.FromMinutes(settings.UtcOffsetMinutes));
        var minute = (local.Hour * 60) + local.Minute;
        var working = ((settings.WorkDays >> (int)local.DayOfWeek) & 1) == 1 && minute >= settings.WorkStartMinute && minute < settings.WorkEndMinute;
        return working ? settings.WorkHoursRate : settings.NonWorkHoursRate;
    }

    /// <summary>Waits until <paramref name="bytes"/> may go on the wire.</summary>
    public async ValueTask WaitAsync(long bytes, CancellationToken cancellationToken)
    {
        var rate = Math.Min(RateAt(time.GetUtcNow()), int.MaxValue);
        if (rate <= 0)
        {
            return;
        }

        if (_bucket is null || _bucketRate != rate)
        {
            _bucket?.Dispose();
            _bucketRate = rate;
            _bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = (int)rate,
                TokensPerPeriod = (int)Math.Max(1, rate / 20),
                ReplenishmentPeriod = TimeSpan.FromMilliseconds(50),
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        }

        for (var left = bytes; left > 0;)
        {
            var take = (int)Math.Min(left, rate);
            using var lease = await _bucket.AcquireAsync(take, cancellationToken);
            left -= take;
        }
    }

    public void Dispose() => _bucket?.Dispose();
}
