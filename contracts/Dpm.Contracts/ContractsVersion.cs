namespace Dpm.Contracts;

/// <summary>
/// The version of these contracts. A plugin built for contracts <c>M.n</c> runs on a host whose contracts
/// are <c>M.m</c> with <c>m &gt;= n</c>: minor versions only add, a new major version may break.
/// </summary>
public static class ContractsVersion
{
    /// <summary>The contracts version this assembly implements.</summary>
    public static Version Current { get; } = new(1, 0);

    /// <summary>Whether a plugin that targets <paramref name="target"/> can run against <see cref="Current"/>.</summary>
    public static bool IsCompatible(Version target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.Major == Current.Major && target.Minor <= Current.Minor;
    }
}
