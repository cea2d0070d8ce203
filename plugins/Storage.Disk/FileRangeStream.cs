using Microsoft.Win32.SafeHandles;

namespace Dpm.Storage.Disk;

/// <summary>
/// A read-only window on a file, read with positioned reads (pread): no buffer and no seek, so opening many
/// small ranges costs one open, one fstat and one read each.
/// </summary>
internal sealed class FileRangeStream(SafeFileHandle handle, long start, long length) : Stream
{
    private long _position;

    public override bool CanRead => !handle.IsClosed;

    public override bool CanSeek => !handle.IsClosed;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), "the position can't be negative");
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var count = Available(buffer.Length);
        if (count == 0)
        {
            return 0;
        }

        var read = RandomAccess.Read(handle, buffer[..count], start + _position);
        _position += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var count = Available(buffer.Length);
        if (count == 0)
        {
            return 0;
        }

        var read = await RandomAccess.ReadAsync(handle, buffer[..count], start + _position, cancellationToken);
        _position += read;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException("objects are read-only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("objects are read-only");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            handle.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Available(int wanted)
    {
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);
        return (int)Math.Clamp(length - _position, 0, wanted);
    }
}
