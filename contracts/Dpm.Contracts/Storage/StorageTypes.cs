namespace Dpm.Contracts.Storage;

/// <summary>An object in an object store.</summary>
/// <param name="Name">Its name, '/'-separated.</param>
/// <param name="Length">Its size in bytes.</param>
/// <param name="LastModified">When it was written.</param>
public sealed record StoredObject(string Name, long Length, DateTimeOffset LastModified);

/// <summary>The outcome of putting an object.</summary>
public enum PutOutcome
{
    /// <summary>The object was written in full and is now visible.</summary>
    Stored = 1,

    /// <summary>An object of that name exists; objects are immutable, so nothing was written.</summary>
    AlreadyExists = 2,
}

/// <summary>Space in a store. Null values mean the store cannot tell (unbounded cloud storage, say).</summary>
/// <param name="TotalBytes">Capacity.</param>
/// <param name="FreeBytes">Space left.</param>
public sealed record StorageSpace(long? TotalBytes, long? FreeBytes);

/// <summary>The outcome of locking an object against deletion.</summary>
public enum LockOutcome
{
    /// <summary>The object is locked until the date asked for (or later).</summary>
    Locked = 1,

    /// <summary>No object of that name exists.</summary>
    NotFound = 2,

    /// <summary>The store has immutability, but it is not enabled where this store lives.</summary>
    NotEnabled = 3,
}

/// <summary>A removable medium (a tape) in a store with sequential media.</summary>
/// <param name="Label">The medium's label or barcode.</param>
/// <param name="CapacityBytes">Native capacity, when known.</param>
/// <param name="UsedBytes">Bytes written so far.</param>
/// <param name="IsWriteProtected">Whether it can be written.</param>
public sealed record MediaInfo(string Label, long? CapacityBytes, long UsedBytes, bool IsWriteProtected);
