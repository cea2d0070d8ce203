namespace Dpm.Bench.Dataset;

/// <summary>
/// Database files and virtual disks, as a sequence of extents of pages:
/// zero extents (unallocated space), shared extents (whole segments of a template every file of the kind draws from,
/// like the system tables of every database or the OS files of every VM cloned from one image: dedup across files,
/// and within a file when a segment comes twice) and fresh extents of the file's own pages, of which some are copies
/// from a small pool of repeated pages (empty index pages, identical clusters: dedup only at page granularity).
/// </summary>
internal static class LargeFile
{
    private const long MiB = 1024 * 1024;
    private const int RepeatedPoolSize = 64;

    public static int PageSize(ContentKind kind) => kind == ContentKind.Database ? Pages.DatabasePageSize : Pages.DiskPageSize;

    public static void Write(Stream stream, ulong seed, ContentKind kind, ulong file, long size)
    {
        var pageSize = PageSize(kind);
        var database = kind == ContentKind.Database;
        var segments = Segments(seed, kind);
        var rng = Prng.For(seed, Streams.FileContent, file);
        var (zeroShare, sharedShare) = database ? (12, 8) : (15, 35);
        var buffer = new byte[Generator.BufferSize];
        var filled = 0;
        var pages = size / pageSize;
        for (long page = 0; page < pages;)
        {
            var pick = rng.Next(100);
            if (pick < zeroShare)
            {
                var length = Math.Min(pages - page, rng.OctaveUniform(256 * 1024, (database ? 16 : 32) * MiB) / pageSize);
                for (var i = 0; i < length; i++, page++)
                {
                    Next().Clear();
                }
            }
            else if (pick < zeroShare + sharedShare)
            {
                var (start, count) = segments[rng.Next(segments.Length)];
                var length = Math.Min(pages - page, count);
                for (var i = 0; i < length; i++, page++)
                {
                    SharedPage(Next(), seed, kind, start + i);
                }
            }
            else
            {
                var length = Math.Min(pages - page, rng.OctaveUniform(MiB, (database ? 64 : 32) * MiB) / pageSize);
                for (var i = 0; i < length; i++, page++)
                {
                    if (rng.Chance(0.12))
                    {
                        RepeatedPage(Next(), seed, kind, rng.Next(RepeatedPoolSize));
                    }
                    else
                    {
                        OwnPage(Next(), Prng.For(seed, Streams.FilePages(file), (ulong)page), kind, page, (int)file);
                    }
                }
            }
        }

        stream.Write(buffer, 0, filled);
        var tail = size - (pages * pageSize);
        if (tail > 0)
        {
            stream.Write(new byte[tail]);
        }

        Span<byte> Next()
        {
            if (filled == buffer.Length)
            {
                stream.Write(buffer, 0, filled);
                filled = 0;
            }

            filled += pageSize;
            return buffer.AsSpan(filled - pageSize, pageSize);
        }
    }

    /// <summary>A page of the file's own content (also used by the change to write new versions of pages).</summary>
    public static void OwnPage(Span<byte> page, Prng rng, ContentKind kind, long pageNumber, int objectId)
    {
        if (kind == ContentKind.Database)
        {
            Pages.Database(page, rng, pageNumber, objectId);
        }
        else
        {
            Pages.Disk(page, rng);
        }
    }

    private static void SharedPage(Span<byte> page, ulong seed, ContentKind kind, long index)
    {
        var stream = kind == ContentKind.Database ? Streams.SharedDatabasePages : Streams.SharedDiskPages;
        OwnPage(page, Prng.For(seed, stream, (ulong)index), kind, index, 7);
    }

    private static void RepeatedPage(Span<byte> page, ulong seed, ContentKind kind, int index)
    {
        var stream = kind == ContentKind.Database ? Streams.RepeatedDatabasePages : Streams.RepeatedDiskPages;
        OwnPage(page, Prng.For(seed, stream, (ulong)index), kind, index, 3);
    }

    /// <summary>The template's segments: 16 for databases, 24 for disks, 1–16 MiB each.</summary>
    private static (long Start, long Count)[] Segments(ulong seed, ContentKind kind)
    {
        var rng = Prng.For(seed, kind == ContentKind.Database ? Streams.SharedDatabasePages : Streams.SharedDiskPages, ulong.MaxValue);
        var segments = new (long, long)[kind == ContentKind.Database ? 16 : 24];
        long start = 0;
        for (var i = 0; i < segments.Length; i++)
        {
            var count = rng.OctaveUniform(MiB, 16 * MiB) / PageSize(kind);
            segments[i] = (start, count);
            start += count;
        }

        return segments;
    }
}
