namespace Dpm.Contracts.Spi;

/// <summary>
/// What every plugin's entry point implements. The host creates the entry point with its parameterless
/// constructor, calls <see cref="InitializeAsync"/> once, uses it, and disposes of it before unloading.
/// Every call is time-boxed by the host; honour the cancellation token promptly.
/// </summary>
public interface IPlugin : IAsyncDisposable
{
    /// <summary>Prepares the plugin to work. Validate configuration here and fail with a clear message.</summary>
    ValueTask InitializeAsync(IPluginContext context, CancellationToken cancellationToken);
}
