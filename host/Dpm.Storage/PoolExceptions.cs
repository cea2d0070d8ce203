namespace Dpm.Storage;

/// <summary>Pool data failed its integrity check (altered, truncated or missing). The message names what.</summary>
public sealed class PoolDataException : Exception
{
    public PoolDataException(string message)
        : base(message)
    {
    }

    public PoolDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The credentials given do not open the pool (wrong passphrase or key file, or none for an encrypted pool).</summary>
public sealed class PoolAccessDeniedException : Exception
{
    public PoolAccessDeniedException(string message)
        : base(message)
    {
    }
}
