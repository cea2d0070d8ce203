using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Dpm.Contracts;
using Dpm.Contracts.Spi;
using Dpm.Management;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Dpm.Core.Plugins;

/// <summary>
/// Finds the plugins in the plugins directory, checks each one's manifest and licence tier, loads it into a
/// context of its own, and records a status with a reason for every folder. Every call into a plugin goes
/// through <see cref="CallAsync{TPlugin, T}"/>, which time-boxes it; a plugin that throws or hangs is marked
/// <see cref="PluginStatus.Malfunctioned"/> and unloaded, and the host and the other plugins go on.
/// </summary>
public sealed class PluginManager : IAsyncDisposable
{
    private readonly PluginManagerOptions _options;
    private readonly IPluginLoader _loader;
    private readonly ILicenceGate _licence;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly IConfiguration _configuration;
    private readonly ProtectedComputer _computer;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _loading = new(1, 1);
    private readonly Lock _gate = new();
    private readonly List<PluginSlot> _slots = [];

    public PluginManager(
        PluginManagerOptions options,
        IPluginLoader loader,
        ILicenceGate licence,
        ILoggerFactory loggerFactory,
        IConfiguration pluginsConfiguration,
        ProtectedComputer computer,
        TimeProvider time)
    {
        _options = options;
        _loader = loader;
        _licence = licence;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Dpm.Plugins");
        _configuration = pluginsConfiguration;
        _computer = computer;
        _time = time;
    }

    /// <summary>Loads every plugin folder not loaded yet. Safe to call again (after a licence change, say).</summary>
    public async Task LoadAllAsync(CancellationToken cancellationToken)
    {
        await _loading.WaitAsync(cancellationToken);
        try
        {
            if (!Directory.Exists(_options.Directory))
            {
                PluginManagerLog.NoPluginsDirectory(_logger, _options.Directory);
                return;
            }

            foreach (var folder in Directory.EnumerateDirectories(_options.Directory).Order(StringComparer.Ordinal))
            {
                var slot = FindSlot(folder) ?? AddSlot(folder);
                if (slot.Status is null or PluginStatus.DisabledByLicence)
                {
                    await LoadSlotAsync(slot, cancellationToken);
                }
            }

            var all = GetPlugins();
            var active = all.Count(p => p.Status == PluginStatus.Active);
            PluginManagerLog.Loaded(_logger, active, all.Count);
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>
    /// Applies a licence change: plugins the licence now covers are loaded; active plugins it no longer covers
    /// are unloaded and marked <see cref="PluginStatus.DisabledByLicence"/>.
    /// </summary>
    public async Task ApplyLicenceChangeAsync(CancellationToken cancellationToken)
    {
        foreach (var slot in Snapshot().Where(s => s.Status == PluginStatus.Active && s.Manifest is not null))
        {
            var decision = _licence.CanLoad(slot.Manifest!.RequiredTier);
            if (!decision.Allowed)
            {
                await StopSlotAsync(slot, PluginStatus.DisabledByLicence, decision.Reason);
            }
        }

        await LoadAllAsync(cancellationToken);
    }

    /// <summary>Every plugin folder with its status and reason.</summary>
    public IReadOnlyList<PluginInfo> GetPlugins() => Snapshot().Where(s => s.Status is not null).Select(s => s.ToInfo()).ToList();

    /// <summary>
    /// The check a plugin folder (named as in <see cref="PluginInfo.Folder"/>) failed the last time its status
    /// changed, or null when it has not failed one (it is active, or it was stopped on purpose).
    /// </summary>
    public PluginCheck? GetFailedCheck(string folder) =>
        Snapshot().FirstOrDefault(s => Path.GetFileName(s.Folder) == folder && s.Status is not null)?.FailedCheck;

    /// <summary>The manifests of the active plugins of a kind.</summary>
    public IReadOnlyList<PluginManifest> GetActive(PluginKind kind) =>
        Snapshot().Where(s => s.Status == PluginStatus.Active && s.Manifest!.Kind == kind).Select(s => s.Manifest!).ToList();

    /// <summary>
    /// Calls an active plugin, time-boxed by <paramref name="timeLimit"/> (default
    /// <see cref="PluginManagerOptions.CallTimeLimit"/>). A plugin that throws or runs out of time is marked
    /// <see cref="PluginStatus.Malfunctioned"/> and unloaded; the result then says why it failed.
    /// </summary>
    public async Task<PluginCallResult<T>> CallAsync<TPlugin, T>(
        string pluginId,
        string operation,
        Func<TPlugin, CancellationToken, ValueTask<T>> call,
        CancellationToken cancellationToken,
        TimeSpan? timeLimit = null)
        where TPlugin : class, IPlugin
    {
        ArgumentNullException.ThrowIfNull(call);
        var slot = Snapshot().FirstOrDefault(s => s.Manifest?.Id == pluginId);
        if (slot is null)
        {
            return PluginCallResult.Fail<T>($"there is no plugin '{pluginId}'");
        }

        if (slot.Status != PluginStatus.Active || slot.Instance is not TPlugin plugin)
        {
            return PluginCallResult.Fail<T>(slot.Status == PluginStatus.Active
                ? $"plugin '{pluginId}' is not a {typeof(TPlugin).Name}"
                : $"plugin '{pluginId}' is {slot.Status}: {slot.Reason}");
        }

        var limit = timeLimit ?? _options.CallTimeLimit;
        var outcome = await RunTimeBoxedAsync(ct => call(plugin, ct).AsTask(), limit, cancellationToken);
        if (outcome.Failure is null)
        {
            return PluginCallResult.Ok(outcome.Value!);
        }

        var reason = $"{operation}: {outcome.Failure}";
        PluginManagerLog.Malfunctioned(_logger, pluginId, operation, outcome.Failure, outcome.Exception);
        await StopSlotAsync(slot, PluginStatus.Malfunctioned, reason, PluginCheck.Call);
        return PluginCallResult.Fail<T>($"plugin '{pluginId}' malfunctioned in {reason}");
    }

    /// <summary>Calls an active plugin for a list, time-boxed as a whole like <see cref="CallAsync{TPlugin, T}"/>.</summary>
    public Task<PluginCallResult<IReadOnlyList<T>>> ListAsync<TPlugin, T>(
        string pluginId,
        string operation,
        Func<TPlugin, CancellationToken, IAsyncEnumerable<T>> list,
        CancellationToken cancellationToken,
        TimeSpan? timeLimit = null)
        where TPlugin : class, IPlugin =>
        CallAsync<TPlugin, IReadOnlyList<T>>(
            pluginId,
            operation,
            async (plugin, ct) =>
            {
                var items = new List<T>();
                await foreach (var item in list(plugin, ct).WithCancellation(ct))
                {
                    items.Add(item);
                }

                return items;
            },
            cancellationToken,
            timeLimit);

    /// <summary>
    /// An active plugin's entry point, for long work that the caller supervises itself (a backup, a recovery):
    /// no time limit applies, and a failure is the caller's job's failure rather than a plugin malfunction.
    /// </summary>
    public bool TryGetActive<TPlugin>(string pluginId, [NotNullWhen(true)] out TPlugin? plugin, out string reason)
        where TPlugin : class, IPlugin
    {
        var slot = Snapshot().FirstOrDefault(s => s.Manifest?.Id == pluginId);
        plugin = slot?.Status == PluginStatus.Active ? slot.Instance as TPlugin : null;
        reason = slot is null ? $"there is no plugin '{pluginId}'"
            : plugin is null ? $"plugin '{pluginId}' is {(slot.Status == PluginStatus.Active ? $"not a {typeof(TPlugin).Name}" : $"{slot.Status}: {slot.Reason}")}"
            : "active";
        return plugin is not null;
    }

    /// <summary>Stops and unloads a plugin, recording why.</summary>
    public async Task<bool> UnloadAsync(string pluginId, string reason)
    {
        var slot = Snapshot().FirstOrDefault(s => s.Manifest?.Id == pluginId && s.Status == PluginStatus.Active);
        if (slot is null)
        {
            return false;
        }

        await StopSlotAsync(slot, PluginStatus.Incompatible, reason);
        return true;
    }

    /// <summary>The load context of a plugin that was loaded at some point, to check that unloading let it go.</summary>
    internal WeakReference? GetLoadContext(string pluginId) =>
        Snapshot().FirstOrDefault(s => s.Manifest?.Id == pluginId)?.LoadContext;

    public async ValueTask DisposeAsync()
    {
        foreach (var slot in Snapshot().Where(s => s.Status == PluginStatus.Active))
        {
            await StopSlotAsync(slot, null, "the host stopped");
        }

        _loading.Dispose();
    }

    private async Task LoadSlotAsync(PluginSlot slot, CancellationToken cancellationToken)
    {
        var read = PluginManifestReader.Read(slot.Folder);
        slot.Manifest = read.Manifest;
        if (!read.IsValid)
        {
            SetStatus(slot, PluginStatus.Incompatible, string.Join("; ", read.Problems), PluginCheck.Manifest);
            return;
        }

        var manifest = read.Manifest!;
        var twin = Snapshot().FirstOrDefault(s => s != slot && s.Manifest?.Id == manifest.Id && s.Status == PluginStatus.Active);
        if (twin is not null)
        {
            SetStatus(slot, PluginStatus.Incompatible, $"id '{manifest.Id}' is already used by the plugin in '{twin.Folder}'", PluginCheck.Manifest);
            return;
        }

        var decision = _licence.CanLoad(manifest.RequiredTier);
        if (!decision.Allowed)
        {
            SetStatus(slot, PluginStatus.DisabledByLicence, decision.Reason, PluginCheck.Tier);
            return;
        }

        IPluginAssembly assembly;
        try
        {
            assembly = _loader.Load(Path.Combine(slot.Folder, manifest.EntryAssembly));
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or UnauthorizedAccessException or InvalidOperationException)
        {
            SetStatus(slot, PluginStatus.Incompatible, $"entry assembly '{manifest.EntryAssembly}' can't be loaded: {ex.Message}", PluginCheck.Load);
            return;
        }

        slot.Assembly = assembly;
        slot.LoadContext = assembly.LoadContext;
        var inspection = Inspect(manifest, assembly.EntryAssembly);
        if (inspection.Problem is not null)
        {
            await StopSlotAsync(slot, PluginStatus.Incompatible, inspection.Problem, inspection.Check);
            return;
        }

        var created = await RunTimeBoxedAsync(
            _ => Task.FromResult((IPlugin)Activator.CreateInstance(inspection.EntryType!)!),
            _options.StartTimeLimit,
            cancellationToken);
        if (created.Failure is not null)
        {
            await StopSlotAsync(slot, PluginStatus.Malfunctioned, $"constructor of {inspection.EntryType!.FullName}: {created.Failure}", PluginCheck.Initialize);
            return;
        }

        slot.Instance = created.Value;
        var stateDirectory = Path.Combine(_options.StateDirectory, manifest.Id);
        Directory.CreateDirectory(stateDirectory);
        var context = new PluginContext(manifest, _loggerFactory, _configuration.GetSection(manifest.Id), stateDirectory, _computer, _time);
        var initialized = await RunTimeBoxedAsync(
            async ct =>
            {
                await slot.Instance!.InitializeAsync(context, ct);
                return true;
            },
            _options.StartTimeLimit,
            cancellationToken);
        if (initialized.Failure is not null)
        {
            await StopSlotAsync(slot, PluginStatus.Malfunctioned, $"InitializeAsync: {initialized.Failure}", PluginCheck.Initialize);
            return;
        }

        SetStatus(slot, PluginStatus.Active, $"loaded from '{slot.Folder}'");
    }

    private static (Type? EntryType, string? Problem, PluginCheck Check) Inspect(PluginManifest manifest, Assembly assembly)
    {
        var contracts = assembly.GetReferencedAssemblies().FirstOrDefault(n => n.Name == typeof(IPlugin).Assembly.GetName().Name);
        if (contracts?.Version is null)
        {
            return (null, $"'{manifest.EntryAssembly}' does not reference Dpm.Contracts", PluginCheck.ContractsVersion);
        }

        var declared = Version.Parse(manifest.ContractsVersion);
        if (contracts.Version.Major != declared.Major || contracts.Version.Minor != declared.Minor)
        {
            return (null, $"the manifest says contracts {manifest.ContractsVersion}, but '{manifest.EntryAssembly}' is built against contracts {contracts.Version.ToString(2)}", PluginCheck.ContractsVersion);
        }

        if (!ContractsVersion.IsCompatible(contracts.Version))
        {
            return (null, $"'{manifest.EntryAssembly}' is built against contracts {contracts.Version.ToString(2)}, but this host has contracts {ContractsVersion.Current}", PluginCheck.ContractsVersion);
        }

        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            var missing = ex.LoaderExceptions.OfType<Exception>().Select(e => e.Message).Distinct().Take(3);
            return (null, $"'{manifest.EntryAssembly}' needs assemblies that are missing from the plugin folder: {string.Join("; ", missing)}", PluginCheck.Dependencies);
        }

        var entries = types.Where(t => t.GetCustomAttribute<DpmPluginAttribute>() is not null).ToList();
        if (entries.Count != 1)
        {
            return (null, entries.Count == 0
                ? $"'{manifest.EntryAssembly}' has no class marked [DpmPlugin]"
                : $"'{manifest.EntryAssembly}' has {entries.Count} classes marked [DpmPlugin]; a plugin has exactly one entry point",
                PluginCheck.EntryPoint);
        }

        var type = entries[0];
        var declaredBy = type.GetCustomAttribute<DpmPluginAttribute>()!;
        var expectedInterface = manifest.Kind == PluginKind.Workload ? typeof(IWorkloadPlugin) : typeof(IStoragePlugin);
        string? problem = null;
        if (declaredBy.Id != manifest.Id)
        {
            problem = $"the manifest says id '{manifest.Id}', but {type.FullName} declares id '{declaredBy.Id}'";
        }
        else if (declaredBy.Kind != manifest.Kind)
        {
            problem = $"the manifest says kind {manifest.Kind}, but {type.FullName} declares kind {declaredBy.Kind}";
        }
        else if (declaredBy.RequiredTier != manifest.RequiredTier)
        {
            problem = $"the manifest says tier {manifest.RequiredTier.ToDpmlName()}, but {type.FullName} declares tier {declaredBy.RequiredTier.ToDpmlName()}";
        }
        else if (!expectedInterface.IsAssignableFrom(type))
        {
            problem = $"{type.FullName} is declared as a {manifest.Kind} plugin but does not implement {expectedInterface.Name}";
        }
        else if (type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
        {
            problem = $"{type.FullName} needs a public parameterless constructor";
        }

        return (problem is null ? type : null, problem, PluginCheck.EntryPoint);
    }

    /// <summary>Disposes of the plugin (time-boxed), unloads its context, and records the new status.</summary>
    private async Task StopSlotAsync(PluginSlot slot, PluginStatus? status, string reason, PluginCheck? failedCheck = null)
    {
        if (status is { } newStatus)
        {
            SetStatus(slot, newStatus, reason, failedCheck);
        }

        var instance = slot.Instance;
        slot.Instance = null;
        if (instance is not null)
        {
            var disposed = await RunTimeBoxedAsync(
                async _ =>
                {
                    await instance.DisposeAsync();
                    return true;
                },
                _options.StopTimeLimit,
                CancellationToken.None);
            if (disposed.Failure is not null)
            {
                PluginManagerLog.Malfunctioned(_logger, slot.Manifest?.Id ?? slot.Folder, "DisposeAsync", disposed.Failure, disposed.Exception);
            }
        }

        slot.Assembly?.Dispose();
        slot.Assembly = null;
    }

    private static async Task<(T? Value, string? Failure, Exception? Exception)> RunTimeBoxedAsync<T>(
        Func<CancellationToken, Task<T>> work,
        TimeSpan limit,
        CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var task = Task.Run(() => work(cancel.Token), CancellationToken.None);
        try
        {
            return (await task.WaitAsync(limit, cancellationToken), null, null);
        }
        catch (TimeoutException)
        {
            await cancel.CancelAsync();
            _ = task.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return (default, $"did not finish within its time limit of {limit.TotalSeconds:0.###} s", null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var inner = ex is TargetInvocationException { InnerException: { } e } ? e : ex;
            var what = inner is FileNotFoundException or FileLoadException
                ? $"a dependency is missing from the plugin folder: {inner.Message}"
                : $"threw {inner.GetType().Name}: {inner.Message}";
            return (default, what, inner);
        }
    }

    private void SetStatus(PluginSlot slot, PluginStatus status, string reason, PluginCheck? failedCheck = null)
    {
        lock (_gate)
        {
            slot.Status = status;
            slot.Reason = reason;
            slot.FailedCheck = failedCheck;
            slot.Since = _time.GetUtcNow();
        }

        if (status == PluginStatus.Active)
        {
            PluginManagerLog.StatusChanged(_logger, slot.Folder, status, reason);
        }
        else
        {
            PluginManagerLog.Disabled(_logger, slot.Folder, status, reason);
        }
    }

    private PluginSlot? FindSlot(string folder)
    {
        lock (_gate)
        {
            return _slots.FirstOrDefault(s => s.Folder == folder);
        }
    }

    private PluginSlot AddSlot(string folder)
    {
        lock (_gate)
        {
            var slot = new PluginSlot(folder);
            _slots.Add(slot);
            return slot;
        }
    }

    private List<PluginSlot> Snapshot()
    {
        lock (_gate)
        {
            return [.. _slots];
        }
    }

    private sealed class PluginSlot(string folder)
    {
        public string Folder { get; } = folder;
        public PluginManifest? Manifest { get; set; }
        public PluginStatus? Status { get; set; }
        public string Reason { get; set; } = "";
        public DateTimeOffset Since { get; set; }
        public PluginCheck? FailedCheck { get; set; }
        public IPluginAssembly? Assembly { get; set; }
        public IPlugin? Instance { get; set; }
        public WeakReference? LoadContext { get; set; }

        public PluginInfo ToInfo() => new()
        {
            Folder = Path.GetFileName(Folder),
            Id = Manifest?.Id,
            Name = Manifest?.Name,
            Version = Manifest?.Version,
            Kind = Manifest?.Kind,
            RequiredTier = Manifest?.RequiredTier,
            ContractsVersion = Manifest?.ContractsVersion,
            Publisher = Manifest?.Publisher,
            Description = Manifest?.Description,
            Status = Status!.Value,
            Reason = Reason,
            StatusSince = Since,
        };
    }
}
