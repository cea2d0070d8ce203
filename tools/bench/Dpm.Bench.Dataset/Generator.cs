using System.Buffers;
using System.Collections.Concurrent;

namespace Dpm.Bench.Dataset;

/// <summary>Writes the planned files, two or more at a time, each from its own random stream.</summary>
internal static class Generator
{
    public const int BufferSize = 4 * 1024 * 1024;

    public static void Write(string root, ulong seed, IReadOnlyList<PlannedFile> files)
    {
        foreach (var folder in files.Select(f => Path.GetDirectoryName(Full(root, f.Path))!).Distinct(StringComparer.Ordinal))
        {
            Directory.CreateDirectory(folder);
        }

        // Largest first, handed out one at a time, so the two cores finish together.
        var order = files.OrderByDescending(f => f.Size).ToList();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.ForEach(Partitioner.Create(order, EnumerablePartitionerOptions.NoBuffering), options, file =>
        {
            var path = Full(root, file.Path);
            using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                WriteContent(stream, seed, file.Kind, file.Content, file.Size);
            }

            File.SetLastWriteTimeUtc(path, file.Modified);
        });
    }

    /// <summary>Writes <paramref name="size"/> bytes of one content stream at the stream's position.</summary>
    public static void WriteContent(Stream stream, ulong seed, ContentKind kind, ulong content, long size, DateTime? logStart = null)
    {
        var rng = Prng.For(seed, Streams.FileContent, content);
        if (kind is ContentKind.Database or ContentKind.VirtualDisk)
        {
            LargeFile.Write(stream, seed, kind, content, size);
            return;
        }

        Action<Span<byte>> fill = kind switch
        {
            ContentKind.Prose => new ProseComposer(rng).Fill,
            ContentKind.Csv => new CsvComposer(rng).Fill,
            ContentKind.Log => new LogComposer(rng, logStart ?? new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(rng.Next(500_000))).Fill,
            _ => rng.Fill,
        };
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(size, BufferSize));
        try
        {
            for (var left = size; left > 0;)
            {
                var chunk = buffer.AsSpan(0, (int)Math.Min(left, buffer.Length));
                fill(chunk);
                stream.Write(chunk);
                left -= chunk.Length;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static string Full(string root, string relative) => Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar));
}
