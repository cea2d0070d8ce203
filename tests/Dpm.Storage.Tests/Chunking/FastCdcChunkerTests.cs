using Dpm.Storage.Chunking;

namespace Dpm.Storage.Tests.Chunking;

public sealed class FastCdcChunkerTests
{
    private static List<byte[]> Split(IChunker chunker, byte[] data)
    {
        var chunks = new List<byte[]>();
        var at = 0;
        while (at < data.Length)
        {
            var length = chunker.NextChunkLength(data.AsSpan(at), endOfStream: true);
            chunks.Add(data[at..(at + length)]);
            at += length;
        }

        return chunks;
    }

    [Fact]
    public void NextChunkLength_RandomData_SizesWithinBoundsAndAverageNearTarget()
    {
        var chunker = new FastCdcChunker(16 << 10, 64 << 10, 256 << 10);
        var data = TestPools.Data(32 << 20, seed: 1);

        var chunks = Split(chunker, data);

        Assert.All(chunks.SkipLast(1), c => Assert.InRange(c.Length, 16 << 10, 256 << 10));
        var average = data.Length / chunks.Count;
        Assert.InRange(average, 48 << 10, 96 << 10);
    }

    [Fact]
    public void NextChunkLength_BytesInsertedNearTheStart_LaterChunksUnchanged()
    {
        var chunker = new FastCdcChunker(16 << 10, 64 << 10, 256 << 10);
        var data = TestPools.Data(8 << 20, seed: 2);
        var shifted = new byte[data.Length + 100];
        data.AsSpan(0, 1000).CopyTo(shifted);
        data.AsSpan(1000).CopyTo(shifted.AsSpan(1100));

        var before = Split(chunker, data).Select(c => ChunkId.Compute(c)).ToHashSet();
        var after = Split(chunker, shifted).Select(c => ChunkId.Compute(c)).ToList();

        var kept = after.Count(before.Contains);
        Assert.True(kept >= after.Count - 3, $"only {kept} of {after.Count} chunks survived a 100-byte insertion");
    }

    [Fact]
    public void NextChunkLength_SameInput_SameBoundariesEveryTime()
    {
        var data = TestPools.Data(4 << 20, seed: 3);

        var first = Split(new FastCdcChunker(), data).Select(c => c.Length);
        var second = Split(new FastCdcChunker(), data).Select(c => c.Length);

        Assert.Equal(first, second);
    }

    [Fact]
    public void NextChunkLength_ShortFinalPiece_ReturnedWhole()
    {
        var chunker = new FastCdcChunker();

        Assert.Equal(1000, chunker.NextChunkLength(new byte[1000], endOfStream: true));
        Assert.Equal(0, chunker.NextChunkLength([], endOfStream: true));
    }

    [Fact]
    public void FixedSize_ChunksAlignedToTheStart()
    {
        var chunker = new FixedSizeChunker(64 << 10);

        var sizes = Split(chunker, new byte[(200 << 10) + 5]).Select(c => c.Length).ToList();

        Assert.Equal([64 << 10, 64 << 10, 64 << 10, (8 << 10) + 5], sizes);
    }

    [Theory]
    [InlineData(10, 64 << 10, 256 << 10)]
    [InlineData(16 << 10, 60 << 10, 256 << 10)]
    [InlineData(16 << 10, 64 << 10, 32 << 10)]
    public void Constructor_ImpossibleSizes_Refused(int min, int average, int max) =>
        Assert.Throws<ArgumentException>(() => new FastCdcChunker(min, average, max));
}
