namespace Dpm.Contracts;

/// <summary>Progress of a long operation, reported through <see cref="IProgress{T}"/>.</summary>
/// <param name="BytesDone">Bytes processed so far.</param>
/// <param name="BytesTotal">Bytes to process in all, when known.</param>
/// <param name="ItemsDone">Items processed so far.</param>
/// <param name="ItemsTotal">Items to process in all, when known.</param>
/// <param name="CurrentItem">The item being processed, when there is one worth showing.</param>
public readonly record struct ProgressReport(
    long BytesDone,
    long? BytesTotal = null,
    long ItemsDone = 0,
    long? ItemsTotal = null,
    string? CurrentItem = null);
