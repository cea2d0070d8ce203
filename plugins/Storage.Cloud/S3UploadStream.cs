namespace Dpm.Storage.Cloud;

/// <summary>
/// The body of one S3 request: a seekable view of a buffered part, whose bytes pass the store's upload throttle.
/// The client may read a body more than once (to sign it, to send it, to send it again after a failure); each byte
/// is charged once, the first time a read reaches past what was charged before.
/// </summary>
internal sealed class S3UploadStream(byte[] buffer, int length, UploadThrottle throttle, CancellationToken cancellationToken) : Stream
{
    private long _position;
    private long _charged;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> destination)
    {
        var n = Take(destination.Length);
        Charge(n).AsTask().GetAwaiter().GetResult();
        buffer.AsSpan((int)_position, n).CopyTo(destination);
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        var n = Take(destination.Length);
        await Charge(n);
        buffer.AsMemory((int)_position, n).CopyTo(destination);
        _position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Take(int wanted) => (int)Math.Min(wanted, length - _position);

    private ValueTask Charge(int n)
    {
        var end = _position + n;
        if (end <= _charged)
        {
            return ValueTask.CompletedTask;
        }

        var bytes = end - _charged;
        _charged = end;
        return throttle.WaitAsync(bytes, cancellationToken);
    }
}
