using Dpm.Management;

namespace Dpm.Core.Tests.Plugins;

public sealed class LicenceTierGatingTests
{
    [Fact]
    public async Task LoadAll_StandardOnlyLicence_LoadsStandardAndDisablesEnterpriseWithReason()
    {
        await using var host = new PluginTestHost();
        host.AddPlugin(PluginTestHost.Standard);
        host.AddPlugin(PluginTestHost.Enterprise);
        host.Licensing.CreateService().Install(host.Licensing.Issue(new ComputerCounts(0, 10, 0)));

        var manager = await host.StartAsync();

        var plugins = manager.GetPlugins();
        Assert.Equal(PluginStatus.Active, plugins.Single(p => p.Id == PluginTestHost.Standard).Status);
        var enterprise = plugins.Single(p => p.Id == PluginTestHost.Enterprise);
        Assert.Equal(PluginStatus.DisabledByLicence, enterprise.Status);
        Assert.Equal("needs E-DPML or higher, but the installed licences cover S-DPML only", enterprise.Reason);
    }

    [Fact]
    public async Task ApplyLicenceChange_EnterpriseLicenceInstalled_EnterprisePluginBecomesActive()
    {
        await using var host = new PluginTestHost();
        host.AddPlugin(PluginTestHost.Enterprise);
        host.Licensing.CreateService().Install(host.Licensing.Issue(new ComputerCounts(0, 10, 0)));
        var manager = await host.StartAsync();
        Assert.Equal(PluginStatus.DisabledByLicence, Assert.Single(manager.GetPlugins()).Status);

        host.Licences!.Install(host.Licensing.Issue(new ComputerCounts(0, 0, 1)));
        await manager.ApplyLicenceChangeAsync(CancellationToken.None);

        Assert.Equal(PluginStatus.Active, Assert.Single(manager.GetPlugins()).Status);
    }

    [Fact]
    public async Task ApplyLicenceChange_LicenceRemoved_AfterEvaluationEnded_PluginDisabled()
    {
        await using var host = new PluginTestHost();
        host.AddPlugin(PluginTestHost.Standard);
        host.Licensing.CreateService().Install(host.Licensing.Issue(new ComputerCounts(0, 1, 0), validDays: 400, id: "only"));
        host.Licensing.Time.Advance(TimeSpan.FromDays(200));
        var manager = await host.StartAsync();
        Assert.Equal(PluginStatus.Active, Assert.Single(manager.GetPlugins()).Status);

        host.Licences!.Remove("only");
        await manager.ApplyLicenceChangeAsync(CancellationToken.None);

        var plugin = Assert.Single(manager.GetPlugins());
        Assert.Equal(PluginStatus.DisabledByLicence, plugin.Status);
        Assert.Contains("evaluation period ended", plugin.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAll_EvaluationMode_LoadsEveryTier()
    {
        await using var host = new PluginTestHost();
        host.AddPlugin(PluginTestHost.Standard);
        host.AddPlugin(PluginTestHost.Enterprise);

        var manager = await host.StartAsync();

        Assert.All(manager.GetPlugins(), p => Assert.Equal(PluginStatus.Active, p.Status));
    }
}
