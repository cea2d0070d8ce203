using Dpm.Contracts.Spi;

namespace Dpm.Contracts.Tests;

public sealed class ContractsTests
{
    [Fact]
    public void Assembly_DependsOnlyOnTheFrameworkAndExtensionsAbstractions()
    {
        var references = typeof(IPlugin).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.All(references, name => Assert.True(
            name.StartsWith("System", StringComparison.Ordinal)
            || name == "netstandard"
            || (name.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) && (name.EndsWith(".Abstractions", StringComparison.Ordinal) || name == "Microsoft.Extensions.Primitives")),
            $"Dpm.Contracts must not depend on {name}"));
    }

    [Theory]
    [InlineData("1.0", true)]
    [InlineData("1.1", false)]
    [InlineData("0.9", false)]
    [InlineData("2.0", false)]
    public void ContractsVersion_IsCompatible_SameMajorAndNoNewerMinor(string target, bool expected) =>
        Assert.Equal(expected, ContractsVersion.IsCompatible(Version.Parse(target)));

    [Fact]
    public void ContractsVersion_MatchesAssemblyVersion()
    {
        var assembly = typeof(IPlugin).Assembly.GetName().Version!;

        Assert.Equal(ContractsVersion.Current, new Version(assembly.Major, assembly.Minor));
    }

    [Theory]
    [InlineData(LicenceTier.Client, "C-DPML")]
    [InlineData(LicenceTier.Standard, "S-DPML")]
    [InlineData(LicenceTier.Enterprise, "E-DPML")]
    [InlineData(LicenceTier.None, "none")]
    public void LicenceTier_ToDpmlName_UsesDpmNames(LicenceTier tier, string name) => Assert.Equal(name, tier.ToDpmlName());

    [Fact]
    public void LicenceTier_HigherTierCoversLower() =>
        Assert.True(LicenceTier.Client < LicenceTier.Standard && LicenceTier.Standard < LicenceTier.Enterprise);
}
