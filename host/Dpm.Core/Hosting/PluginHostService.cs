using Dpm.Core.Plugins;
using Microsoft.Extensions.Hosting;

namespace Dpm.Core.Hosting;

/// <summary>Loads the plugins when the host starts.</summary>
internal sealed class PluginHostService(PluginManager plugins) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => plugins.LoadAllAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
