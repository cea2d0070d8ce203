namespace Storage.Cloud.Tests;

/// <summary>
/// Content of unknown length, read once front to back, as a backup reads a pipe; optionally runs
/// <c>then</c> once when more than <c>afterBytes</c> have been read (to cancel an upload half-way).
/// </summary>
public sealed class ForwardOnlyStream(byte[] data, long afterBytes = long.MaxValue, Action? then = null) : Stream
{
    private int _position;
    private bool _fired;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = Math.Min(Math.Min(count, 256 * 1024), data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer.AsSpan(offset, n));
        _position += n;
        if (!_fired && _position > afterBytes)
        {
            _fired = true;
            then?.Invoke();
        }

        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
