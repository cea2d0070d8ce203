using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dpm.Storage.Chunking;

// Single-threaded throughput of each building block, best of three, on random and on text-like data.
// Run with: dotnet run -c Release --project tools/bench/Dpm.Bench.Primitives
var random = new byte[256 << 20];
new Random(1).NextBytes(random);
var text = Text(64 << 20);

Console.WriteLine("| what | input | GB/s |");
Console.WriteLine("|---|---|---:|");
var hash = new byte[32];
foreach (var size in new[] { 4 << 10, 64 << 10, 1 << 20, 4 << 20 })
{
    Row("SHA-256", $"{Size(size)} pieces", random.Length, () => Pieces(random, size, p => SHA256.HashData(p, hash)));
    Row("BLAKE3", $"{Size(size)} pieces", random.Length, () => Pieces(random, size, p =>
    {
        Blake3.Hasher.Hash(p, hash);
        return 32;
    }));
}

var cdc = new FastCdcChunker();
Row("FastCDC", "random", random.Length, () =>
{
    for (var at = 0; at < random.Length;)
    {
        at += cdc.NextChunkLength(random.AsSpan(at), endOfStream: true);
    }
});

foreach (var level in new[] { 1, 3 })
{
    using var zstd = new ZstdSharp.Compressor(level);
    var output = new byte[ZstdSharp.Compressor.GetCompressBound(1 << 20)];
    long compressed = 0;
    Row($"zstd level {level}", "text, 1 MiB pieces", text.Length, () => compressed = Pieces(text, 1 << 20, p => zstd.Wrap(p, output)));
    Row($"zstd level {level}", "random, 1 MiB pieces", 128 << 20, () => Pieces(random[..(128 << 20)], 1 << 20, p => zstd.Wrap(p, output)));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| zstd level {level} ratio | text | {text.Length / (double)compressed:0.00}:1 |"));
}

using var aes = new AesGcm(RandomNumberGenerator.GetBytes(32), 16);
var nonce = new byte[12];
var tag = new byte[16];
var sealedOutput = new byte[1 << 20];
Row("AES-256-GCM", "1 MiB pieces", random.Length, () => Pieces(random, 1 << 20, p =>
{
    aes.Encrypt(nonce, p, sealedOutput.AsSpan(0, p.Length), tag);
    return p.Length;
}));

static void Row(string what, string input, long bytes, Action run)
{
    var best = TimeSpan.MaxValue;
    for (var i = 0; i < 3; i++)
    {
        var clock = Stopwatch.StartNew();
        run();
        best = clock.Elapsed < best ? clock.Elapsed : best;
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {input} | {bytes / best.TotalSeconds / 1e9:0.00} |"));
}

static long Pieces(byte[] data, int size, Piece work)
{
    long total = 0;
    for (var at = 0; at + size <= data.Length; at += size)
    {
        total += work(data.AsSpan(at, size));
    }

    return total;
}

static string Size(int bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : $"{bytes >> 10} KiB";

static byte[] Text(int length)
{
    string[] words = ["replica", "recovery", "point", "express", "full", "volume", "shadow", "copy", "tape", "library", "agent", "job", "quarterly", "report"];
    var rng = new Random(2);
    var builder = new StringBuilder(length + 16);
    while (builder.Length < length)
    {
        builder.Append(words[rng.Next(words.Length)]).Append(rng.Next(12) == 0 ? '\n' : ' ');
    }

    return Encoding.ASCII.GetBytes(builder.ToString(0, length));
}

internal delegate long Piece(ReadOnlySpan<byte> piece);
