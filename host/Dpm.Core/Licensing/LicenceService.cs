using System.Text.Json;
using Dpm.Contracts;
using Dpm.Core.Plugins;
using Dpm.Management;
using Microsoft.Extensions.Logging;

namespace Dpm.Core.Licensing;

/// <summary>The outcome of installing a licence: the installed licence, or why it was refused.</summary>
public sealed record LicenceInstallResult(InstalledLicence? Licence, string? Error);

/// <summary>The outcome of asking for a computer's licence: granted (with the tier taken) or refused, with why.</summary>
public sealed record LicenceGrant(bool Granted, LicenceTier? Tier, string Message);

/// <summary>
/// The licence engine. Licences are signed files in a folder; their counts per tier add up. With no valid
/// licence the server is in evaluation mode (every tier, a few computers, for a limited time from the first
/// start). A computer consumes one licence of the tier its data needs (or, when that tier is full, of the
/// lowest higher tier with room) when protection starts, and gives it back when protection stops. A bad
/// licence file never takes anything else down: it is reported and ignored.
/// </summary>
public sealed partial class LicenceService : ILicenceGate
{
    private const string LicenceExtension = ".lic";
    private const string EvaluationFile = "evaluation.json";

    private static readonly LicenceTier[] Tiers = [LicenceTier.Client, LicenceTier.Standard, LicenceTier.Enterprise];

    private readonly LicensingOptions _options;
    private readonly LicenceTrust _trust;
    private readonly ILicenceConsumptionStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly DateTimeOffset _evaluationStart;
    private List<(string File, string Text)> _files = [];
    private List<LicenceConsumption> _consumptions;

    public LicenceService(LicensingOptions options, LicenceTrust trust, ILicenceConsumptionStore store, TimeProvider time, ILogger<LicenceService> logger)
    {
        _options = options;
        _trust = trust;
        _store = store;
        _time = time;
        _logger = logger;
        Directory.CreateDirectory(options.Directory);
        _evaluationStart = ReadOrStartEvaluation();
        _consumptions = LoadConsumptions();
        ReloadFiles();
    }

    public LicenceState GetState()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var licences = _files.Select(f => Describe(f.File, LicenceFile.Verify(f.Text, _trust.Key, now))).ToList();
            var mode = Mode(licences, now);
            var capacity = Capacity(mode, licences);
            var evaluationEnds = EvaluationEnd;
            var summary = mode switch
            {
                LicenceMode.Licensed => $"Licensed: {string.Join(", ", Tiers.Select(t => $"{t.ToDpmlName()} {capacity.For(t)}"))} computers",
                LicenceMode.Evaluation => $"Evaluation mode: every tier, up to {_options.EvaluationComputers} computers, until {evaluationEnds:yyyy-MM-dd} ({Math.Ceiling((evaluationEnds - now).TotalDays)} days left)",
                _ => $"Unlicensed: the evaluation period ended on {evaluationEnds:yyyy-MM-dd} and no valid licence is installed",
            };
            return new LicenceState
            {
                Mode = mode,
                Summary = summary,
                EvaluationEndsAt = mode == LicenceMode.Licensed ? null : evaluationEnds,
                EvaluationComputerLimit = mode == LicenceMode.Evaluation ? _options.EvaluationComputers : null,
                Licences = licences,
                Tiers = Tiers.Select(t => new TierUsage(t, t.ToDpmlName(), capacity.For(t), _consumptions.Count(c => c.Tier == t))).ToList(),
                Consumptions = [.. _consumptions],
            };
        }
    }

    public LicenceDecision CanLoad(LicenceTier tier)
    {
        if (tier == LicenceTier.None)
        {
            return new(true, "no licence needed");
        }

        var state = GetState();
        switch (state.Mode)
        {
            case LicenceMode.Evaluation:
                return new(true, state.Summary);
            case LicenceMode.Unlicensed:
                return new(false, $"needs {tier.ToDpmlName()}: {state.Summary}; install one with 'dpm licence install FILE'");
        }

        if (state.Tiers.Any(t => t.Tier >= tier && t.Licensed > 0))
        {
            return new(true, $"covered by {tier.ToDpmlName()} or higher");
        }

        var covered = state.Tiers.Where(t => t.Licensed > 0).Select(t => t.Name).ToList();
        return new(false, $"needs {tier.ToDpmlName()} or higher, but the installed licences cover {(covered.Count == 0 ? "no tier" : string.Join(" and ", covered))} only");
    }

    /// <summary>Checks a licence and, when it is valid, adds it to the licence folder. Nothing changes when it isn't.</summary>
    public LicenceInstallResult Install(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var check = LicenceFile.Verify(text, _trust.Key, _time.GetUtcNow());
        if (!check.IsValid)
        {
            Log.Refused(_logger, check.Message);
            return new(null, $"licence refused: {check.Message}");
        }

        var content = check.Content!;
        var file = Path.Combine(_options.Directory, SafeFileName(content.Id) + LicenceExtension);
        lock (_gate)
        {
            AtomicFile.WriteAllText(file, text);
            ReloadFiles();
        }

        Log.Installed(_logger, content.Id, content.Licensee);
        return new(Describe(file, check), null);
    }

    /// <summary>Removes an installed licence by id; false when there is none.</summary>
    public bool Remove(string licenceId)
    {
        lock (_gate)
        {
            var file = _files.Select(f => f.File).FirstOrDefault(f => Path.GetFileNameWithoutExtension(f) == SafeFileName(licenceId));
            if (file is null)
            {
                return false;
            }

            File.Delete(file);
            ReloadFiles();
        }

        return true;
    }

    /// <summary>
    /// Takes a licence for <paramref name="computer"/>, whose protected data needs <paramref name="tier"/>.
    /// A computer that already holds that tier or a higher one keeps it.
    /// </summary>
    public LicenceGrant Consume(string computer, LicenceTier tier)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(computer);
        if (tier == LicenceTier.None)
        {
            return new(true, null, "no licence needed");
        }

        lock (_gate)
        {
            var held = _consumptions.FirstOrDefault(c => string.Equals(c.Computer, computer, StringComparison.OrdinalIgnoreCase));
            if (held is not null && held.Tier >= tier)
            {
                return new(true, held.Tier, $"{computer} already holds {held.Tier.ToDpmlName()}");
            }

            var state = GetState();
            var others = _consumptions.Where(c => c != held).ToList();
            LicenceTier? granted = null;
            string refusal;
            switch (state.Mode)
            {
                case LicenceMode.Evaluation:
                    granted = others.Count < _options.EvaluationComputers ? tier : null;
                    refusal = $"evaluation mode protects at most {_options.EvaluationComputers} computers and all are in use ({Names(others)})";
                    break;
                case LicenceMode.Licensed:
                    granted = Tiers.Where(t => t >= tier).Cast<LicenceTier?>()
                        .FirstOrDefault(t => others.Count(c => c.Tier == t) < state.Tiers.Single(u => u.Tier == t).Licensed);
                    var inUse = others.Where(c => c.Tier >= tier).ToList();
                    var licensed = state.Tiers.Where(t => t.Tier >= tier).Sum(t => t.Licensed);
                    refusal = $"{computer} needs {tier.ToDpmlName()}, and all {licensed} {tier.ToDpmlName()}-or-higher licences are in use"
                        + (inUse.Count > 0 ? $" ({Names(inUse)})" : "")
                        + "; stop protecting a computer or install a licence with more computers";
                    break;
                default:
                    refusal = state.Summary;
                    break;
            }

            if (granted is null)
            {
                Log.ConsumptionRefused(_logger, computer, refusal);
                return new(false, null, $"licence refused: {refusal}");
            }

            others.Add(new LicenceConsumption(computer, granted.Value, _time.GetUtcNow()));
            _store.Save(others);
            _consumptions = others;
            return new(true, granted, $"{computer} now holds {granted.Value.ToDpmlName()}");
        }
    }

    /// <summary>Gives back the licence a computer holds; false when it held none.</summary>
    public bool Release(string computer)
    {
        lock (_gate)
        {
            var remaining = _consumptions.Where(c => !string.Equals(c.Computer, computer, StringComparison.OrdinalIgnoreCase)).ToList();
            if (remaining.Count == _consumptions.Count)
            {
                return false;
            }

            _store.Save(remaining);
            _consumptions = remaining;
            return true;
        }
    }

    private DateTimeOffset EvaluationEnd => _evaluationStart.AddDays(_options.EvaluationDays);

    private LicenceMode Mode(List<InstalledLicence> licences, DateTimeOffset now) =>
        licences.Any(l => l.Validity == LicenceValidity.Valid) ? LicenceMode.Licensed
        : now < EvaluationEnd ? LicenceMode.Evaluation
        : LicenceMode.Unlicensed;

    private ComputerCounts Capacity(LicenceMode mode, List<InstalledLicence> licences) => mode switch
    {
        LicenceMode.Licensed => licences.Where(l => l.Validity == LicenceValidity.Valid)
            .Aggregate(ComputerCounts.None, (sum, l) => sum.Add(l.Computers!)),
        LicenceMode.Evaluation => new(_options.EvaluationComputers, _options.EvaluationComputers, _options.EvaluationComputers),
        _ => ComputerCounts.None,
    };

    private static InstalledLicence Describe(string file, LicenceCheck check) => new()
    {
        File = Path.GetFileName(file),
        Id = check.Content?.Id,
        Licensee = check.Content?.Licensee,
        IssuedAt = check.Content?.IssuedAt,
        ExpiresAt = check.Content?.ExpiresAt,
        Computers = check.Content?.Computers,
        Validity = check.Validity,
        Message = check.Message,
    };

    private void ReloadFiles()
    {
        var files = new List<(string, string)>();
        foreach (var file in Directory.EnumerateFiles(_options.Directory, "*" + LicenceExtension).Order(StringComparer.Ordinal))
        {
            try
            {
                files.Add((file, File.ReadAllText(file)));
            }
            catch (IOException ex)
            {
                files.Add((file, ""));
                Log.Unreadable(_logger, file, ex.Message);
            }
        }

        _files = files;
        foreach (var (file, text) in files)
        {
            var check = LicenceFile.Verify(text, _trust.Key, _time.GetUtcNow());
            if (!check.IsValid)
            {
                Log.Unreadable(_logger, file, check.Message);
            }
        }
    }

    private DateTimeOffset ReadOrStartEvaluation()
    {
        var path = Path.Combine(_options.Directory, EvaluationFile);
        if (File.Exists(path))
        {
            try
            {
                var start = JsonSerializer.Deserialize<EvaluationStart>(File.ReadAllText(path), ManagementJson.Options);
                if (start is not null)
                {
                    return start.FirstStart;
                }
            }
            catch (JsonException ex)
            {
                Log.Unreadable(_logger, path, ex.Message);
                return DateTimeOffset.MinValue; // a damaged start file ends evaluation rather than restarting it
            }
        }

        var now = _time.GetUtcNow();
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new EvaluationStart(now), ManagementJson.Options));
        return now;
    }

    private List<LicenceConsumption> LoadConsumptions()
    {
        try
        {
            return [.. _store.Load()];
        }
        catch (InvalidDataException ex)
        {
            Log.Unreadable(_logger, "licence consumption", ex.Message);
            return [];
        }
    }

    private static string Names(IEnumerable<LicenceConsumption> consumptions) => string.Join(", ", consumptions.Select(c => c.Computer));

    private static string SafeFileName(string id) =>
        new(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());

    private sealed record EvaluationStart(DateTimeOffset FirstStart);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Licence {LicenceId} for {Licensee} installed")]
        public static partial void Installed(ILogger logger, string licenceId, string licensee);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Licence refused: {Reason}")]
        public static partial void Refused(ILogger logger, string reason);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "Licence file {File} is not usable: {Reason}")]
        public static partial void Unreadable(ILogger logger, string file, string reason);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "No licence for computer {Computer}: {Reason}")]
        public static partial void ConsumptionRefused(ILogger logger, string computer, string reason);
    }
}
