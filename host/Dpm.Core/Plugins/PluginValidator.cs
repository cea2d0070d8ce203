using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Contracts.Workloads;
using Dpm.Management;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Dpm.Core.Plugins;

/// <summary>How one check of a plugin folder went.</summary>
public enum PluginCheckOutcome
{
    Passed,
    Failed,

    /// <summary>Not run: an earlier check failed, or the check does not apply to the plugin's kind.</summary>
    Skipped,
}

/// <summary>One check of a plugin folder, with what was found or why it failed.</summary>
public sealed record PluginCheckResult(PluginCheck Check, PluginCheckOutcome Outcome, string Detail);

/// <summary>What <see cref="PluginValidator"/> found in a plugin folder: every check, in the order they run.</summary>
public sealed record PluginValidation(
    string Folder,
    string? Id,
    PluginKind? Kind,
    LicenceTier? RequiredTier,
    IReadOnlyList<PluginCheckResult> Checks)
{
    public bool Passed => Checks.All(c => c.Outcome != PluginCheckOutcome.Failed);
}

/// <summary>
/// Checks a plugin folder before it is deployed, the way the host will load it: a <see cref="PluginManager"/>
/// over a private copy of the folder, with a licence gate that lets every tier load (and notes the tier asked
/// for), then the conformance kit's smoke subset, the facts that need no test project: a workload's discovery of its
/// top-level data sources (well formed, inside the host's time box), discovery with a cancelled token, and another
/// workload's data source refused clearly. A storage plugin's settings are its own, so it is checked up to
/// <c>InitializeAsync</c>.
/// </summary>
public static class PluginValidator
{
    private static readonly PluginCheck[] Order =
    [
        PluginCheck.Manifest, PluginCheck.Tier, PluginCheck.Load, PluginCheck.ContractsVersion,
        PluginCheck.Dependencies, PluginCheck.EntryPoint, PluginCheck.Initialize, PluginCheck.Discovery,
        PluginCheck.Cancellation, PluginCheck.BadInput,
    ];

    private static readonly PluginCheck[] Smoke = [PluginCheck.Discovery, PluginCheck.Cancellation, PluginCheck.BadInput];

    public static async Task<PluginValidation> ValidateAsync(
        string pluginFolder,
        PluginManagerOptions limits,
        ILoggerFactory loggerFactory,
        IConfiguration pluginsConfiguration,
        ProtectedComputer computer,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var source = new DirectoryInfo(Path.GetFullPath(pluginFolder));
        var root = Directory.CreateTempSubdirectory("dpm-validate-");
        try
        {
            var plugins = Path.Combine(root.FullName, "plugins");
            CopyFolder(source, Path.Combine(plugins, source.Name));
            var gate = new EveryTierGate();
            var options = new PluginManagerOptions
            {
                Directory = plugins,
                StateDirectory = Path.Combine(root.FullName, "state"),
                StartTimeLimit = limits.StartTimeLimit,
                CallTimeLimit = limits.CallTimeLimit,
                StopTimeLimit = limits.StopTimeLimit,
            };
            await using var manager = new PluginManager(options, new McMasterPluginLoader(), gate, loggerFactory, pluginsConfiguration, computer, TimeProvider.System);
            await manager.LoadAllAsync(cancellationToken);
            var plugin = manager.GetPlugins().Single();
            var checks = new List<PluginCheckResult>();
            if (plugin.Status == PluginStatus.Active)
            {
                checks.AddRange(Order.Where(c => !Smoke.Contains(c)).Select(c => Passed(c, plugin, options)));
                checks.AddRange(await SmokeAsync(manager, plugin, options, cancellationToken));
            }
            else
            {
                var failed = manager.GetFailedCheck(plugin.Folder) ?? PluginCheck.Manifest;
                var at = Array.IndexOf(Order, failed);
                checks.AddRange(Order.Select((c, i) =>
                    i < at ? Passed(c, plugin, options)
                    : i == at ? new PluginCheckResult(c, PluginCheckOutcome.Failed, plugin.Reason)
                    : new PluginCheckResult(c, PluginCheckOutcome.Skipped, $"not run: the {Name(failed)} check failed")));
            }

            return new PluginValidation(source.FullName, plugin.Id, plugin.Kind, plugin.RequiredTier, checks);
        }
        finally
        {
            try
            {
                root.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A temporary copy left behind is harmless.
            }
            catch (UnauthorizedAccessException)
            {
                // As above.
            }
        }
    }

    /// <summary>The name a person reads for a check.</summary>
    public static string Name(PluginCheck check) => check switch
    {
        PluginCheck.ContractsVersion => "contracts version",
        PluginCheck.EntryPoint => "entry point",
        PluginCheck.BadInput => "bad input",
        _ => check.ToString().ToLowerInvariant(),
    };

    private static PluginCheckResult Passed(PluginCheck check, PluginInfo plugin, PluginManagerOptions options) =>
        new(check, PluginCheckOutcome.Passed, check switch
        {
            PluginCheck.Manifest => $"{plugin.Id} {plugin.Version}, a {plugin.Kind} plugin, entry assembly in the folder",
            PluginCheck.Tier => plugin.RequiredTier is LicenceTier.None or null
                ? "needs no licence"
                : $"needs {plugin.RequiredTier.Value.ToDpmlName()} or higher; the server keeps it DisabledByLicence until such a licence is installed",
            PluginCheck.Load => "the entry assembly loads into a load context of its own",
            PluginCheck.ContractsVersion => $"built against contracts {plugin.ContractsVersion}; this host has contracts {ContractsVersion.Current}",
            PluginCheck.Dependencies => "every type of the entry assembly resolves",
            PluginCheck.EntryPoint => "one [DpmPlugin] class; it agrees with the manifest on id, kind and tier",
            PluginCheck.Initialize => $"constructed and initialized within the time box of {options.StartTimeLimit.TotalSeconds:0.###} s",
            _ => "passed",
        });

    /// <summary>The kit's smoke subset, each check run only while the plugin is still active after the one before.</summary>
    private static async Task<List<PluginCheckResult>> SmokeAsync(PluginManager manager, PluginInfo plugin, PluginManagerOptions options, CancellationToken cancellationToken)
    {
        if (plugin.Kind != PluginKind.Workload)
        {
            return Smoke.Select(c => new PluginCheckResult(c, PluginCheckOutcome.Skipped, "a storage plugin's settings are its own: it is checked up to InitializeAsync; run the kit's StorageConformance")).ToList();
        }

        var results = new List<PluginCheckResult>();
        foreach (var check in Smoke)
        {
            var failed = results.Find(r => r.Outcome == PluginCheckOutcome.Failed);
            results.Add(failed is not null
                ? new PluginCheckResult(check, PluginCheckOutcome.Skipped, $"not run: the {Name(failed.Check)} check failed")
                : check switch
                {
                    PluginCheck.Discovery => await DiscoverAsync(manager, plugin, options, cancellationToken),
                    PluginCheck.Cancellation => await CancelledDiscoveryAsync(manager, plugin, options, cancellationToken),
                    _ => await ForeignDataSourceAsync(manager, plugin, cancellationToken),
                });
        }

        return results;
    }

    private static async Task<PluginCheckResult> DiscoverAsync(PluginManager manager, PluginInfo plugin, PluginManagerOptions options, CancellationToken cancellationToken)
    {
        var found = await manager.ListAsync<IWorkloadPlugin, DataSource>(
            plugin.Id!,
            "DiscoverDataSourcesAsync",
            (workload, ct) => workload.DiscoverDataSourcesAsync(null, ct),
            cancellationToken);
        if (!found.Succeeded)
        {
            return new PluginCheckResult(PluginCheck.Discovery, PluginCheckOutcome.Failed, found.Failure!);
        }

        var incomplete = found.Value!.FirstOrDefault(d => string.IsNullOrWhiteSpace(d.Id) || string.IsNullOrWhiteSpace(d.Name) || string.IsNullOrWhiteSpace(d.Kind));
        if (incomplete is not null)
        {
            return new PluginCheckResult(PluginCheck.Discovery, PluginCheckOutcome.Failed, $"listed a data source without an id, a name or a kind: id '{incomplete.Id}', name '{incomplete.Name}', kind '{incomplete.Kind}'");
        }

        var twice = found.Value!.GroupBy(d => d.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            return new PluginCheckResult(PluginCheck.Discovery, PluginCheckOutcome.Failed, $"listed the data source id '{twice.Key}' {twice.Count()} times");
        }

        var names = string.Join(", ", found.Value!.Take(5).Select(d => $"{d.Name} ({d.Kind})"));
        var more = found.Value!.Count > 5 ? ", ..." : "";
        return new PluginCheckResult(
            PluginCheck.Discovery,
            PluginCheckOutcome.Passed,
            $"found {found.Value!.Count} top-level data source(s) within the time box of {options.CallTimeLimit.TotalSeconds:0.###} s{(names.Length > 0 ? $": {names}{more}" : "")}");
    }

    private static async Task<PluginCheckResult> CancelledDiscoveryAsync(PluginManager manager, PluginInfo plugin, PluginManagerOptions options, CancellationToken cancellationToken)
    {
        var outcome = await manager.CallAsync<IWorkloadPlugin, string>(
            plugin.Id!,
            "DiscoverDataSourcesAsync (cancelled)",
            async (workload, _) =>
            {
                var cancelled = new CancellationToken(canceled: true);
                try
                {
                    var listed = 0;
                    await foreach (var source in workload.DiscoverDataSourcesAsync(null, cancelled))
                    {
                        listed++;
                    }

                    return $"discovery with a cancelled token listed {listed} data source(s) instead of ending in OperationCanceledException";
                }
                catch (OperationCanceledException)
                {
                    return "";
                }
            },
            cancellationToken);
        return Judge(PluginCheck.Cancellation, outcome, $"discovery with a cancelled token ended in OperationCanceledException within the time box of {options.CallTimeLimit.TotalSeconds:0.###} s");
    }

    private static async Task<PluginCheckResult> ForeignDataSourceAsync(PluginManager manager, PluginInfo plugin, CancellationToken cancellationToken)
    {
        var foreign = new DataSource
        {
            Id = "dpm-validate-foreign:" + Guid.NewGuid().ToString("N"),
            Name = "another workload's data source",
            Kind = "ForeignKind",
            Location = Path.Combine(Path.GetTempPath(), "dpm-validate-nowhere-" + Guid.NewGuid().ToString("N")),
        };
        var outcome = await manager.CallAsync<IWorkloadPlugin, string>(
            plugin.Id!,
            "OpenProtectionSessionAsync (another workload's data source)",
            async (workload, ct) =>
            {
                try
                {
                    await using var session = await workload.OpenProtectionSessionAsync(foreign, new ProtectionSessionOptions(), ct);
                    await session.PrepareAsync(ct);
                    try
                    {
                        await session.FreezeAsync(ct);
                        await (await session.TakeSnapshotAsync(ct)).DisposeAsync();
                    }
                    finally
                    {
                        await session.ThawAsync(ct);
                    }

                    return $"took a snapshot of another workload's data source '{foreign.Id}' instead of refusing it";
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    return e.Message.Contains(foreign.Id, StringComparison.Ordinal) || e.Message.Contains(foreign.Location, StringComparison.Ordinal)
                        ? ""
                        : $"refused another workload's data source, but the error doesn't name it ('{foreign.Id}'): {e.Message}";
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    return $"refused another workload's data source with {e.GetType().Name}, not an ArgumentException or InvalidOperationException: {e.Message}";
                }
            },
            cancellationToken);
        return Judge(PluginCheck.BadInput, outcome, "refused another workload's data source with an error that names it");
    }

    /// <summary>A smoke check's result from its call: the call failed, the plugin did wrong (the words say what), or it passed.</summary>
    private static PluginCheckResult Judge(PluginCheck check, PluginCallResult<string> outcome, string passed) =>
        !outcome.Succeeded ? new PluginCheckResult(check, PluginCheckOutcome.Failed, outcome.Failure!)
        : outcome.Value!.Length > 0 ? new PluginCheckResult(check, PluginCheckOutcome.Failed, outcome.Value)
        : new PluginCheckResult(check, PluginCheckOutcome.Passed, passed);

    private static void CopyFolder(DirectoryInfo source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in source.EnumerateFiles())
        {
            file.CopyTo(Path.Combine(target, file.Name));
        }

        foreach (var folder in source.EnumerateDirectories())
        {
            CopyFolder(folder, Path.Combine(target, folder.Name));
        }
    }

    /// <summary>Lets every tier load: validation checks the plugin, not this machine's licences.</summary>
    private sealed class EveryTierGate : ILicenceGate
    {
        public LicenceDecision CanLoad(LicenceTier tier) => new(true, $"validation lets {tier.ToDpmlName()} load");
    }
}
