using Microsoft.Win32.SafeHandles;

namespace Dpm.Protection;

/// <summary>
/// Reads a large file as a stream while several blocks ahead are already being read at once (positioned
/// reads on the same handle): a single sequential reader leaves a cold disk mostly idle, a few outstanding
/// reads keep it busy. At most <see cref="Depth"/> blocks are held.
/// </summary>
internal sealed class ParallelFileReader : Stream
{
    private const int BlockSize = 2 << 20;
    private const int Depth = 4;
    private readonly Stream _owner;
    private readonly SafeFileHandle _file;
    private readonly long _length;
    private readonly Queue<(Task<int> Read, byte[] Buffer)> _ahead = new();
    private long _nextOffset;
    private byte[]? _current;
    private int _currentLength;
    private int _offset;
    private long _position;

    public ParallelFileReader(FileStream owner)
    {
        _owner = owner;
        _file = owner.SafeFileHandle;
        _length = RandomAccess.GetLength(_file);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_current is null || _offset == _currentLength)
        {
            ReturnCurrent();
            Fill();
            if (_ahead.Count == 0)
            {
                return 0;
            }

            var (read, block) = _ahead.Dequeue();
            _current = block;
            _currentLength = await read.WaitAsync(cancellationToken);
            _offset = 0;
            Fill();
            if (_currentLength == 0)
            {
                return 0; // the file got shorter while it was read; the caller's check after the read says so
            }
        }

        var n = Math.Min(buffer.Length, _currentLength - _offset);
        _current.AsMemory(_offset, n).CopyTo(buffer);
        _offset += n;
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReturnCurrent();
            while (_ahead.TryDequeue(out var pending))
            {
                try
                {
                    pending.Read.GetAwaiter().GetResult();
                }
                catch (IOException)
                {
                    // the stream is being closed; a failed read ahead no longer matters
                }

                ReadAhead.Buffers.Return(pending.Buffer);
            }

            _owner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Fill()
    {
        while (_ahead.Count < Depth && _nextOffset < _length)
        {
            var buffer = ReadAhead.Buffers.Rent(BlockSize);
            var offset = _nextOffset;
            _ahead.Enqueue((Task.Run(() => ReadBlock(buffer, offset)), buffer));
            _nextOffset += BlockSize;
        }
    }

    private int ReadBlock(byte[] buffer, long offset)
    {
        var total = 0;
        while (total < BlockSize)
        {
            var n = RandomAccess.Read(_file, buffer.AsSpan(total, BlockSize - total), offset + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private void ReturnCurrent()
    {
        if (_current is not null)
        {
            ReadAhead.Buffers.Return(_current);
            _current = null;
        }
    }
}
