using Dpm.Contracts.Storage;
using Microsoft.Extensions.Configuration;

namespace Dpm.Contracts.Spi;

/// <summary>
/// A storage plugin: opens object stores where the storage pool keeps its objects. Optional capabilities are
/// extra interfaces a store may implement: <see cref="ISequentialMedia"/>, <see cref="IImmutabilityLock"/>,
/// <see cref="IRemotePull"/>.
/// </summary>
public interface IStoragePlugin : IPlugin
{
    /// <summary>
    /// Opens (creating if needed) the store that <paramref name="settings"/> describe; bind them to the plugin's
    /// typed options and fail with a clear message when they are wrong.
    /// </summary>
    ValueTask<IObjectStore> OpenStoreAsync(IConfiguration settings, CancellationToken cancellationToken);
}

/// <summary>
/// A flat store of immutable named objects. Names are '/'-separated paths of letters, digits, '-', '_' and '.'.
/// A put is atomic: readers see the whole object or none. Expected outcomes (not found, already exists) are
/// return values; exceptions mean the unexpected (I/O failure, store unreachable).
/// </summary>
public interface IObjectStore : IAsyncDisposable
{
    /// <summary>Where the store is, for operators (<c>disk:/srv/dpm/pool</c>). Never includes credentials.</summary>
    string Location { get; }

    /// <summary>Writes a new object from <paramref name="content"/>, or does nothing if the name exists.</summary>
    ValueTask<PutOutcome> PutAsync(string name, Stream content, IProgress<ProgressReport>? progress, CancellationToken cancellationToken);

    /// <summary>Opens an object for reading, or returns null when there is none of that name.</summary>
    ValueTask<Stream?> OpenReadAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a range of an object, or returns null when there is none of that name. A range past the end is
    /// cut short at the end.
    /// </summary>
    ValueTask<Stream?> OpenReadAsync(string name, ByteRange range, CancellationToken cancellationToken);

    /// <summary>Whether an object of that name exists.</summary>
    ValueTask<bool> ExistsAsync(string name, CancellationToken cancellationToken);

    /// <summary>An object's size and time, or null when there is none of that name.</summary>
    ValueTask<StoredObject?> GetInfoAsync(string name, CancellationToken cancellationToken);

    /// <summary>Lists the objects whose names start with <paramref name="prefix"/> ("" for all).</summary>
    IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Deletes an object; false when there was none of that name.</summary>
    ValueTask<bool> DeleteAsync(string name, CancellationToken cancellationToken);

    /// <summary>Capacity and free space where the store lives.</summary>
    ValueTask<StorageSpace> GetSpaceAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Optional, on an <see cref="IObjectStore"/> kept on removable sequential media (tape): objects are appended in
/// order to the loaded medium and a store can't delete single objects, only erase a whole medium.
/// </summary>
public interface ISequentialMedia
{
    /// <summary>The medium that is loaded, or null when the drive is empty.</summary>
    ValueTask<MediaInfo?> GetLoadedMediaAsync(CancellationToken cancellationToken);

    /// <summary>The media the library holds.</summary>
    IAsyncEnumerable<MediaInfo> ListMediaAsync(CancellationToken cancellationToken);

    /// <summary>Loads a medium by label into the drive; false when the library has no such medium.</summary>
    ValueTask<bool> LoadMediaAsync(string label, CancellationToken cancellationToken);

    /// <summary>Erases the loaded medium and gives it a new label.</summary>
    ValueTask EraseMediaAsync(string newLabel, CancellationToken cancellationToken);
}

/// <summary>Optional, on an <see cref="IObjectStore"/>: objects can be locked against deletion until a date.</summary>
public interface IImmutabilityLock
{
    /// <summary>Locks an object until <paramref name="retainUntil"/>; a lock is never shortened.</summary>
    ValueTask<LockOutcome> LockAsync(string name, DateTimeOffset retainUntil, CancellationToken cancellationToken);

    /// <summary>The date an object is locked until, or null when it isn't locked.</summary>
    ValueTask<DateTimeOffset?> GetLockAsync(string name, CancellationToken cancellationToken);
}

/// <summary>
/// Optional, on an <see cref="IObjectStore"/>: the store fetches an object from a remote address itself
/// (a secondary server pulling from a primary, a server-side cloud copy) instead of the host streaming it.
/// </summary>
public interface IRemotePull
{
    /// <summary>Copies the object at <paramref name="source"/> into this store as <paramref name="name"/>.</summary>
    ValueTask<PutOutcome> PullAsync(Uri source, string name, IProgress<ProgressReport>? progress, CancellationToken cancellationToken);
}
