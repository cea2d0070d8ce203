using Dpm.Tests;

namespace Dpm.Templates.Tests;

/// <summary>
/// A partner's machine in a folder: a package feed with Dpm.Contracts, Dpm.Contracts.Testing and Dpm.Templates packed
/// from this build, the templates installed from it (in a template hive of its own), and a nuget.config that restores
/// from the feed into a packages folder of its own, so no package of an earlier run is ever used.
/// </summary>
public sealed class TemplateFeed : IAsyncLifetime
{
    public string Root { get; } = Directory.CreateTempSubdirectory("dpm-templates-").FullName;

    private string Feed => Path.Combine(Root, "feed");

    private string Hive => Path.Combine(Root, "template-hive");

    public async Task InitializeAsync()
    {
        foreach (var project in new[] { "contracts/Dpm.Contracts", "contracts/Dpm.Contracts.Testing", "tools/Dpm.Templates" })
        {
            await DotnetCli.PackAsync(project, Feed);
        }

        var install = await DotnetCli.RunAsync(Root, null, "new", "install", Path.Combine(Feed, "Dpm.Templates.1.0.0.nupkg"), "--debug:custom-hive", Hive);
        Assert.True(install.ExitCode == 0, $"dotnet new install failed: {install}");

        // Packages other than ours come from the machine's packages folder when it has them, else from its sources.
        var machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        await File.WriteAllTextAsync(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="dpm-feed" value="{Feed}" />
              </packageSources>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(Root, "packages")}" />
              </config>
              <fallbackPackageFolders>
                <add key="machine" value="{machinePackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
    }

    /// <summary><c>dotnet new TEMPLATE -n NAME</c> into a folder of its own below <see cref="Root"/>; returns that folder.</summary>
    public async Task<string> NewAsync(string template, string name, params string[] options)
    {
        var made = await DotnetCli.RunAsync(Root, null, ["new", template, "-n", name, "-o", name, "--debug:custom-hive", Hive, .. options]);
        Assert.True(made.ExitCode == 0, $"dotnet new {template} failed: {made}");
        return Path.Combine(Root, name);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}
