using Dpm.Contracts.Spi;
using PublicApiGenerator;

namespace Dpm.Contracts.Tests;

/// <summary>
/// The contracts' public surface is tracked in contracts/Dpm.Contracts/PublicAPI.approved.txt. Any change to the
/// surface fails this test until the tracking file is updated in the same change, so that no shipped member
/// changes by accident. Add members; never remove or change one (mark it [Obsolete] instead).
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_MatchesTrackedSurface()
    {
        var folder = Path.Combine(RepositoryRoot(), "contracts", "Dpm.Contracts");
        var approvedPath = Path.Combine(folder, "PublicAPI.approved.txt");
        var receivedPath = Path.Combine(folder, "PublicAPI.received.txt");
        var actual = Normalize(typeof(IPlugin).Assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false }));
        var approved = File.Exists(approvedPath) ? Normalize(File.ReadAllText(approvedPath)) : "";

        if (actual != approved)
        {
            File.WriteAllText(receivedPath, actual);
            Assert.Fail($"The public surface of Dpm.Contracts changed. Review {receivedPath}; if the change is meant (additions only), copy it over {approvedPath}.");
        }

        File.Delete(receivedPath);
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd() + "\n";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DpmPlugins.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("DpmPlugins.sln not found above the test's folder");
    }
}
