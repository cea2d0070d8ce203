namespace Dpm.Storage.Disk.Tests;

/// <summary>
/// A content stream as a caller might hand one to PutAsync: forward-only or seekable, from bytes or generated,
/// with a hook before every read (to cancel, or to hold a put half-way) and a count of reads.
/// </summary>
public sealed class TestStream : Stream
{
    private readonly byte[]? _data;
    private readonly long _length;
    private readonly bool _seekable;
    private readonly bool _unreadable;
    private long _position;

    private TestStream(byte[]? data, long length, bool seekable, bool unreadable)
    {
        _data = data;
        _length = length;
        _seekable = seekable;
        _unreadable = unreadable;
    }

    /// <summary>Called with the bytes read so far before each read.</summary>
    public Func<long, Task>? BeforeRead { get; set; }

    public int ReadCalls { get; private set; }

    /// <summary>A forward-only stream (length unknown to the store) over <paramref name="data"/>.</summary>
    public static TestStream ForwardOnly(byte[] data) => new(data, data.Length, seekable: false, unreadable: false);

    /// <summary>A forward-only stream of <paramref name="length"/> random bytes.</summary>
    public static TestStream Generated(long length) => new(null, length, seekable: false, unreadable: false);

    /// <summary>A seekable stream that says it holds <paramref name="length"/> bytes and fails if anyone reads it.</summary>
    public static TestStream Unreadable(long length) => new(null, length, seekable: true, unreadable: true);

    public override bool CanRead => true;

    public override bool CanSeek => _seekable;

    public override bool CanWrite => false;

    public override long Length => _seekable ? _length : throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => _position = _seekable ? value : throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (BeforeRead is not null)
        {
            await BeforeRead(_position);
        }

        return Fill(buffer.Span);
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        BeforeRead?.Invoke(_position).GetAwaiter().GetResult();
        return Fill(buffer.AsSpan(offset, count));
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    private int Fill(Span<byte> buffer)
    {
        ReadCalls++;
        if (_unreadable)
        {
            throw new InvalidOperationException("the store read a stream it should have refused up front");
        }

        var count = (int)Math.Min(buffer.Length, _length - _position);
        if (_data is null)
        {
            Random.Shared.NextBytes(buffer[..count]);
        }
        else
        {
            _data.AsSpan((int)_position, count).CopyTo(buffer);
        }

        _position += count;
        return count;
    }
}
