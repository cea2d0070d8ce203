using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Microsoft.Extensions.Configuration;

namespace Company.Storage.Sample;

/// <summary>
/// The plugin's entry point: the host creates it with the parameterless constructor, calls
/// <see cref="InitializeAsync"/> once, opens stores with the settings an operator gave each (<c>Path</c>: the folder
/// the objects are kept in), and disposes of it before unloading. Replace <see cref="SampleObjectStore"/> with your
/// storage's API.
/// </summary>
[DpmPlugin("Company.Storage.Sample", PluginKind.Storage, RequiredTier = LicenceTier.TierNone)]
public sealed class SampleStoragePlugin : IStoragePlugin
{
    /// <inheritdoc />
    public ValueTask InitializeAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IObjectStore> OpenStoreAsync(IConfiguration settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        cancellationToken.ThrowIfCancellationRequested();
        var path = settings["Path"];
        if (string.IsNullOrWhiteSpace(path) || !Path.IsPathFullyQualified(path))
        {
            // Wrong settings fail with the setting's name and value, never with a credential.
            throw new ArgumentException($"the store's setting Path must be an absolute folder, not '{path}'", nameof(settings));
        }

        return ValueTask.FromResult<IObjectStore>(new SampleObjectStore(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path))));
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
