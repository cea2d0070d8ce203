using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Dpm.Storage.Disk;

/// <summary>Where a disk store keeps its objects, bound from the settings the host passes to OpenStoreAsync.</summary>
public sealed class DiskStoreOptions
{
    public const long DefaultReserveBytes = 64L * 1024 * 1024;

    /// <summary>The storage pool folder: an absolute path; created when missing.</summary>
    public required string Path { get; init; }

    /// <summary>Free space the store always leaves on the disk: a put of known length that would eat into it is refused.</summary>
    public long ReserveBytes { get; init; } = DefaultReserveBytes;

    /// <summary>Reads and checks the settings; throws <see cref="InvalidOperationException"/> naming every problem.</summary>
    public static DiskStoreOptions Bind(IConfiguration settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var problems = new List<string>();

        var path = settings[nameof(Path)];
        if (string.IsNullOrWhiteSpace(path))
        {
            problems.Add("Path is required: the absolute path of the storage pool folder (for example /srv/dpm/pool)");
        }
        else if (!System.IO.Path.IsPathFullyQualified(path))
        {
            problems.Add($"Path must be absolute, not '{path}'");
        }

        var reserve = DefaultReserveBytes;
        var reserveText = settings[nameof(ReserveBytes)];
        if (!string.IsNullOrWhiteSpace(reserveText)
            && (!long.TryParse(reserveText, NumberStyles.None, CultureInfo.InvariantCulture, out reserve) || reserve < 0))
        {
            problems.Add($"ReserveBytes must be a whole number of bytes, 0 or more, not '{reserveText}'");
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"Dpm.Storage.Disk settings are invalid: {string.Join("; ", problems)}.");
        }

        return new DiskStoreOptions { Path = path!, ReserveBytes = reserve };
    }
}
