using System.Text.Json;
using Dpm.Tests;

namespace Dpm.PoolTool.Tests;

/// <summary>`dpm-pool init`: the chunk sizes chosen at creation are the pool's, and wrong ones are refused clearly.</summary>
public sealed class InitTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dpm-init-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static Task<ProcessRunner.Result> Tool(params string[] args) => ProcessRunner.RunAsync("dpm-pool.dll", null, args);

    [Fact]
    public async Task Init_ChunkSizes_KeptInTheConfigAndUsed()
    {
        var pool = Path.Combine(_root, "pool");
        var source = Directory.CreateDirectory(Path.Combine(_root, "source")).FullName;
        var data = new byte[3 << 20];
        new Random(7).NextBytes(data);
        File.WriteAllBytes(Path.Combine(source, "data.bin"), data);

        var created = await Tool("init", "--pool", pool, "--unencrypted", "--chunk-sizes", "16/32/64");
        Assert.True(created.ExitCode == 0, created.Error);
        Assert.Contains("chunks 16/32/64 KiB", created.Output, StringComparison.Ordinal);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(pool, "config")));
        Assert.Equal(16 << 10, config.RootElement.GetProperty("chunkMinSize").GetInt32());
        Assert.Equal(32 << 10, config.RootElement.GetProperty("chunkAverageSize").GetInt32());
        Assert.Equal(64 << 10, config.RootElement.GetProperty("chunkMaxSize").GetInt32());

        var backup = await Tool("backup", "--pool", pool, "--json", source);
        Assert.True(backup.ExitCode == 0, backup.Error);
        using var report = JsonDocument.Parse(backup.Output);
        // 3 MiB of random data in chunks of 16 to 64 KiB: between 48 and 192 of them (with 1 MiB chunks: at most 24).
        Assert.InRange(report.RootElement.GetProperty("stats").GetProperty("newChunks").GetInt64(), 48, 192);
        var restored = Path.Combine(_root, "restored");
        Assert.Equal(0, (await Tool("restore", "--pool", pool, restored)).ExitCode);
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(restored, "data.bin")));
    }

    [Theory]
    [InlineData("64/100/512", "average a power of two")]
    [InlineData("256/128/1024", "min < average < max")]
    [InlineData("64/x", "MIN/AVERAGE/MAX in KiB")]
    [InlineData("0/128/1024", "MIN/AVERAGE/MAX in KiB")]
    public async Task Init_WrongChunkSizes_RefusedWithTheReason_NoPool(string sizes, string reason)
    {
        var pool = Path.Combine(_root, "pool");

        var result = await Tool("init", "--pool", pool, "--unencrypted", "--chunk-sizes", sizes);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(pool, "config")));
    }
}
