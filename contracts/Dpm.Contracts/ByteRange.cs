namespace Dpm.Contracts;

/// <summary>A range of bytes in a stream.</summary>
/// <param name="Offset">First byte of the range.</param>
/// <param name="Length">Number of bytes in the range.</param>
public readonly record struct ByteRange(long Offset, long Length)
{
    /// <summary>The offset just past the range.</summary>
    public long End => Offset + Length;
}
