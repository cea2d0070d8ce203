using Microsoft.Win32.SafeHandles;

namespace Dpm.Protection;

/// <summary>
/// Reads a large file as a stream while several blocks ahead are already being read at once (positioned
/// reads on the same handle): a single sequential reader leaves a cold disk mostly idle, a few outstanding
/// reads keep it busy. At most <see cref="Depth"/> blocks are held. Where the file system allows it the reads
/// bypass the page cache (<see cref="DirectIo"/>).
/// </summary>
internal sealed class ParallelFileReader : Stream
{
    private const int BlockSize = 2 << 20;
    private const int Depth = 4;
    private readonly Stream _owner;
    private readonly SafeFileHandle _file;
    private readonly long _length;
    private readonly Queue<(Task<int> Read, byte[] Buffer, int Start)> _ahead = new();
    private readonly bool _directBuffers;
    private volatile bool _direct;
    private long _nextOffset;
    private byte[]? _current;
    private int _currentStart;
    private int _currentLength;
    private int _offset;
    private long _position;

    public ParallelFileReader(FileStream owner)
    {
        _owner = owner;
        _file = owner.SafeFileHandle;
        _length = RandomAccess.GetLength(_file);
        _direct = _directBuffers = DirectIo.TryEnable(_file);
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

            var (read, block, start) = _ahead.Dequeue();
            _current = block;
            _currentStart = start;
            _currentLength = await read.WaitAsync(cancellationToken);
            _offset = 0;
            Fill();
            if (_currentLength == 0)
            {
                return 0; // the file got shorter while it was read; the caller's check after the read says so
            }
        }

        var n = Math.Min(buffer.Length, _currentLength - _offset);
        _current.AsMemory(_currentStart + _offset, n).CopyTo(buffer);
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

                Return(pending.Buffer);
            }

            _owner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Fill()
    {
        while (_ahead.Count < Depth && _nextOffset < _length)
        {
            var (buffer, start) = _directBuffers ? DirectIo.Rent(BlockSize) : (ReadAhead.Buffers.Rent(BlockSize), 0);
            var offset = _nextOffset;
            _ahead.Enqueue((Task.Run(() => ReadBlock(buffer, start, offset)), buffer, start));
            _nextOffset += BlockSize;
        }
    }

    private int ReadBlock(byte[] buffer, int start, long offset)
    {
        var total = 0;
        while (total < BlockSize && offset + total < _length)
        {
            int n;
            try
            {
                n = RandomAccess.Read(_file, buffer.AsSpan(start + total, BlockSize - total), offset + total);
            }
            catch (IOException) when (_direct)
            {
                // The file system refused a direct read (an unaligned short read, or no direct I/O for this file): through the page cache.
                _direct = false;
                DirectIo.Disable(_file);
                continue;
            }

            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private void Return(byte[] buffer)
    {
        if (_directBuffers)
        {
            DirectIo.Return(buffer);
        }
        else
        {
            ReadAhead.Buffers.Return(buffer);
        }
    }

    private void ReturnCurrent()
    {
        if (_current is not null)
        {
            Return(_current);
            _current = null;
        }
    }
}
