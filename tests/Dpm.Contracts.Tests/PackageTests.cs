using System.IO.Compression;
using System.Xml.Linq;
using Dpm.Tests;

namespace Dpm.Contracts.Tests;

/// <summary>
/// The SDK partners get: <c>dotnet pack</c> of the contracts and of the conformance kit makes NuGet packages with a
/// version, the assembly and its XML docs, symbols, and the metadata a package feed shows.
/// </summary>
public sealed class PackageTests : IDisposable
{
    private readonly string _output = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "dpm-pack-tests", Guid.NewGuid().ToString("N"))).FullName;

    [Theory]
    [InlineData("Dpm.Contracts", "Contracts for DpmPlugins")]
    [InlineData("Dpm.Contracts.Testing", "Conformance kit")]
    public async Task DotnetPack_ContractsProject_PackageHasAssemblyDocsAndMetadata(string project, string description)
    {
        await PackAsync(project);

        var package = Path.Combine(_output, $"{project}.1.0.0.nupkg");
        Assert.True(File.Exists(package), $"no {package}: {string.Join(", ", Directory.EnumerateFiles(_output))}");
        Assert.True(File.Exists(Path.ChangeExtension(package, ".snupkg")), "no symbol package");
        using var zip = ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains($"lib/net10.0/{project}.dll", entries);
        Assert.Contains($"lib/net10.0/{project}.xml", entries);
        using (var docs = new StreamReader(zip.GetEntry($"lib/net10.0/{project}.xml")!.Open()))
        {
            Assert.Contains("<member name=", await docs.ReadToEndAsync(), StringComparison.Ordinal);
        }

        XNamespace ns = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";
        XElement metadata;
        using (var nuspec = zip.GetEntry($"{project}.nuspec")!.Open())
        {
            metadata = XDocument.Load(nuspec).Root!.Element(ns + "metadata")!;
        }

        Assert.Equal(project, metadata.Element(ns + "id")?.Value);
        Assert.Equal("1.0.0", metadata.Element(ns + "version")?.Value);
        Assert.StartsWith(description, metadata.Element(ns + "description")?.Value, StringComparison.Ordinal);
        Assert.Equal("DpmPlugins contributors", metadata.Element(ns + "authors")?.Value);
        var repository = metadata.Element(ns + "repository");
        Assert.NotNull(repository);
        Assert.Equal("git", repository.Attribute("type")?.Value);
        Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")?.Value ?? "");
    }

    [Fact]
    public async Task DotnetPack_ConformanceKit_DependsOnTheContractsPackageAndXunit()
    {
        await PackAsync("Dpm.Contracts.Testing");

        using var zip = ZipFile.OpenRead(Path.Combine(_output, "Dpm.Contracts.Testing.1.0.0.nupkg"));
        XNamespace ns = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";
        using var nuspec = zip.GetEntry("Dpm.Contracts.Testing.nuspec")!.Open();
        var dependencies = XDocument.Load(nuspec).Descendants(ns + "dependency").ToDictionary(d => d.Attribute("id")!.Value, d => d.Attribute("version")!.Value);

        Assert.Equal("1.0.0", dependencies["Dpm.Contracts"]);
        Assert.Equal("2.9.3", dependencies["xunit.assert"]);
        Assert.Equal("2.9.3", dependencies["xunit.extensibility.core"]);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_output, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task<string> PackAsync(string project) => DotnetCli.PackAsync($"contracts/{project}", _output);
}
