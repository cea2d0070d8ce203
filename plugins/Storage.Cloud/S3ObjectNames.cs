namespace Dpm.Storage.Cloud;

/// <summary>
/// Object names of an S3 store: '/'-separated segments of [A-Za-z0-9._-], no empty, "." or ".." segment, at most
/// 512 characters, so that a name with the store's prefix is always a plain S3 key. A bad name is a bug in the
/// caller, so it throws.
/// </summary>
internal static class S3ObjectNames
{
    public const int MaxLength = 512;

    private static readonly System.Buffers.SearchValues<char> SegmentChars =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

    public static void Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Problem(name, isPrefix: false) is { } problem)
        {
            throw new ArgumentException($"'{name}' is not a valid object name: {problem}.", nameof(name));
        }
    }

    /// <summary>A prefix is a name cut anywhere: "" and "data/" are prefixes, the last segment may be partial.</summary>
    public static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length > 0 && Problem(prefix, isPrefix: true) is { } problem)
        {
            throw new ArgumentException($"'{prefix}' is not a valid name prefix: {problem}.", nameof(prefix));
        }
    }

    private static string? Problem(string name, bool isPrefix)
    {
        if (name.Length == 0)
        {
            return "it is empty";
        }

        if (name.Length > MaxLength)
        {
            return $"it is longer than {MaxLength} characters";
        }

        var segments = name.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (isPrefix && i == segments.Length - 1)
            {
                if (segment.AsSpan().ContainsAnyExcept(SegmentChars))
                {
                    return "it has a character other than letters, digits, '.', '_' and '-' in a segment";
                }

                continue;
            }

            if (segment.Length == 0 || segment is "." or "..")
            {
                return "it has an empty, '.' or '..' segment";
            }

            if (segment.AsSpan().ContainsAnyExcept(SegmentChars))
            {
                return "it has a character other than letters, digits, '.', '_' and '-' in a segment";
            }
        }

        return null;
    }
}
