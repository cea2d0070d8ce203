using Microsoft.Extensions.Logging;

namespace Dpm.Workloads.Files.Protection;

/// <summary>
/// The plugin's change journals, one per data source, kept from one synchronization to the next for as long as
/// the plugin runs. A lost journal is replaced by a new one (another epoch) at the next snapshot; the reason it
/// was lost is remembered, so the synchronization that finds the old epoch in its change token can tell why.
/// </summary>
internal sealed class ChangeJournals(int capacity, ILogger logger) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ChangeJournal> _byDataSource = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _retired = new(StringComparer.Ordinal);

    /// <summary>
    /// The data source's journal, started when there is none (or the old one was lost), or null with the reason
    /// when none can run (for example the watch limit).
    /// </summary>
    public ChangeJournal? Open(string dataSourceId, string root, Func<string, bool> skip, out string? problem)
    {
        lock (_gate)
        {
            problem = null;
            if (_byDataSource.TryGetValue(dataSourceId, out var journal))
            {
                if (journal.LostReason is null && journal.Root == root)
                {
                    return journal;
                }

                Retire(dataSourceId, journal, journal.LostReason ?? "the data source's folder changed");
            }

            try
            {
                journal = ChangeJournal.Start(root, skip, capacity, logger);
            }
            catch (Native.PosixException ex)
            {
                problem = "no change journal can run: " + ex.Message;
                return null;
            }

            if (journal.LostReason is { } reason)
            {
                Retire(dataSourceId, journal, reason);
                problem = "no change journal can run: " + reason;
                return null;
            }

            _byDataSource[dataSourceId] = journal;
            return journal;
        }
    }

    /// <summary>Why the journal of <paramref name="epoch"/> was given up, or null when this plugin never ran it.</summary>
    public string? RetiredReason(string epoch)
    {
        lock (_gate)
        {
            return _retired.GetValueOrDefault(epoch);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var journal in _byDataSource.Values)
            {
                journal.Dispose();
            }

            _byDataSource.Clear();
        }
    }

    private void Retire(string dataSourceId, ChangeJournal journal, string reason)
    {
        _retired[journal.Epoch] = reason;
        _byDataSource.Remove(dataSourceId);
        journal.Dispose();
    }
}
