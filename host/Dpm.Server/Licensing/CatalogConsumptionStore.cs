using Dpm.Contracts;
using Dpm.Core.Licensing;
using Dpm.Server.Protection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Held = Dpm.Management.LicenceConsumption;
using Row = Dpm.Catalog.LicenceConsumption;

namespace Dpm.Server.Licensing;

/// <summary>
/// Keeps licence consumption (which computer holds which tier) in the catalog's LicenceConsumption table, with
/// the rest of the server's state. The licence engine calls <see cref="Load"/> and <see cref="Save"/>
/// synchronously, <see cref="Save"/> under its own lock, so this store:
/// <list type="bullet">
/// <item>uses EF Core's synchronous calls (nothing waits on async work while the engine's lock is held);</item>
/// <item>brings the catalog's schema up to date before its first read (the engine reads while the server is
/// being put together, before the catalog's own start-up has run);</item>
/// <item>writes each change in one transaction, and only what changed since it last read or wrote, so a row
/// another server sharing the catalog added meanwhile stays.</item>
/// </list>
/// On first use it takes over the consumption file an earlier version kept in the licence folder: when that
/// file exists and the table is empty, its rows are imported and the file is renamed to <c>.imported</c>.
/// </summary>
internal sealed partial class CatalogConsumptionStore(CatalogHost catalog, IOptions<LicensingOptions> licensing, ILogger<CatalogConsumptionStore> logger) : ILicenceConsumptionStore
{
    /// <summary>The file <see cref="JsonFileConsumptionStore"/> kept in the licence folder.</summary>
    public const string LegacyFile = "consumption.json";

    private readonly Lock _gate = new();
    private HashSet<(string Computer, string Tier)> _known = [];

    public IReadOnlyList<Held> Load()
    {
        lock (_gate)
        {
            catalog.EnsureSchema();
            ImportLegacyFile();
            using var context = catalog.Open();
            var held = new List<Held>();
            foreach (var row in context.LicenceConsumption.AsNoTracking().ToList())
            {
                if (Enum.TryParse<LicenceTier>(row.Tier, out var tier) && Enum.IsDefined(tier) && tier != LicenceTier.None)
                {
                    held.Add(new Held(row.ComputerName, tier, row.Since));
                }
                else
                {
                    UnknownTier(logger, row.ComputerName, row.Tier);
                }
            }

            _known = [.. held.Select(Key)];
            return held;
        }
    }

    public void Save(IReadOnlyList<Held> consumptions)
    {
        ArgumentNullException.ThrowIfNull(consumptions);
        lock (_gate)
        {
            var wanted = consumptions.DistinctBy(Key).ToDictionary(Key);
            using var context = catalog.Open();
            using var transaction = context.Database.BeginTransaction();
            foreach (var (computer, tier) in _known.Where(k => !wanted.ContainsKey(k)))
            {
                context.LicenceConsumption.Where(r => r.ComputerName == computer && r.Tier == tier).ExecuteDelete();
            }

            foreach (var (key, held) in wanted.Where(w => !_known.Contains(w.Key)))
            {
                if (context.LicenceConsumption.Find(key.Computer, key.Tier) is null)
                {
                    context.LicenceConsumption.Add(ToRow(held));
                }
            }

            context.SaveChanges();
            transaction.Commit();
            _known = [.. wanted.Keys];
        }
    }

    private void ImportLegacyFile()
    {
        var path = Path.Combine(licensing.Value.Directory, LegacyFile);
        if (!File.Exists(path))
        {
            return;
        }

        using var context = catalog.Open();
        if (context.LicenceConsumption.Any())
        {
            LegacyIgnored(logger, path);
            return;
        }

        IReadOnlyList<Held> old;
        try
        {
            old = new JsonFileConsumptionStore(path).Load();
        }
        catch (InvalidDataException ex)
        {
            LegacyUnreadable(logger, path, ex.Message);
            return;
        }

        context.LicenceConsumption.AddRange(old.Where(c => c.Tier != LicenceTier.None).DistinctBy(Key).Select(ToRow));
        context.SaveChanges();
        File.Move(path, path + ".imported", overwrite: true);
        LegacyImported(logger, old.Count, path);
    }

    private static (string Computer, string Tier) Key(Held held) => (held.Computer, held.Tier.ToString());

    private static Row ToRow(Held held) => new() { ComputerName = held.Computer, Tier = held.Tier.ToString(), Since = held.Since };

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "Licence consumption of {Count} computers taken over from {File} into the catalog (the file is renamed to .imported)")]
    private static partial void LegacyImported(ILogger logger, int count, string file);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "Licence consumption file {File} not taken over: the catalog already holds licence consumption, which counts")]
    private static partial void LegacyIgnored(ILogger logger, string file);

    [LoggerMessage(EventId = 32, Level = LogLevel.Error, Message = "Licence consumption file {File} not taken over: {Reason}")]
    private static partial void LegacyUnreadable(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 33, Level = LogLevel.Warning, Message = "Licence consumption of {Computer} names an unknown tier '{Tier}'; it is not counted")]
    private static partial void UnknownTier(ILogger logger, string computer, string tier);
}
