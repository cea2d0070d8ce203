namespace Dpm.Storage.Cloud;

/// <summary>
/// One block (or a whole small object) held in memory, read by the service client as a seekable stream. Every
/// read waits on the store's <see cref="UploadThrottle"/> first, in slices small enough to pace the upload
/// smoothly; a retry that reads the block again is paced again, as its bytes are sent again.
/// </summary>
internal sealed class AzureBlobUploadContent(byte[] buffer, int count, UploadThrottle throttle) : Stream
{
    private const int Slice = 64 * 1024;
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => count;

    public override long Position
    {
        get => _position;
        set => _position = (int)Math.Clamp(value, 0, count);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        var n = Math.Min(Math.Min(destination.Length, Slice), count - _position);
        if (n <= 0)
        {
            return 0;
        }

        await throttle.WaitAsync(n, cancellationToken);
        buffer.AsMemory(_position, n).CopyTo(destination);
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] destination, int offset, int length, CancellationToken cancellationToken) =>
        ReadAsync(destination.AsMemory(offset, length), cancellationToken).AsTask();

    public override int Read(byte[] destination, int offset, int length) => Read(destination.AsSpan(offset, length));

    public override int Read(Span<byte> destination)
    {
        var n = Math.Min(Math.Min(destination.Length, Slice), count - _position);
        if (n <= 0)
        {
            return 0;
        }

        throttle.WaitAsync(n, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        buffer.AsSpan(_position, n).CopyTo(destination);
        _position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => count + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
