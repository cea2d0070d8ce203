namespace Dpm.Storage.Disk;

/// <summary>
/// Object names: '/'-separated segments of [A-Za-z0-9._-], no empty, "." or ".." segment, at most 512 characters.
/// Such a name can only ever denote a path inside the pool folder. A bad name is a bug in the caller, so it throws.
/// </summary>
internal static class ObjectNames
{
    public const int MaxLength = 512;
    public const int MaxSegmentLength = 255; // NAME_MAX of Linux file systems

    public static void Validate(string name, string parameterName = "name")
    {
        ArgumentNullException.ThrowIfNull(name, parameterName);
        if (Problem(name, isPrefix: false) is { } problem)
        {
            throw new ArgumentException($"'{Printable(name)}' is not a valid object name: {problem}.", parameterName);
        }
    }

    /// <summary>A prefix is a name cut anywhere: "" and "data/" are prefixes, the last segment may be partial.</summary>
    public static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length > 0 && Problem(prefix, isPrefix: true) is { } problem)
        {
            throw new ArgumentException($"'{Printable(prefix)}' is not a valid name prefix: {problem}.", nameof(prefix));
        }
    }

    /// <summary>Whether a file name in the pool could be a segment of an object name (temp files can't).</summary>
    public static bool IsValidSegment(ReadOnlySpan<char> segment) =>
        segment.Length is > 0 and <= MaxSegmentLength && segment is not "." and not ".." && !segment.ContainsAnyExcept(SegmentChars);

    private static readonly System.Buffers.SearchValues<char> SegmentChars =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

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

        if (name[0] == '/')
        {
            return "it starts with '/' (names are relative to the store)";
        }

        var segments = name.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var isLast = i == segments.Length - 1;
            if (isPrefix && isLast)
            {
                // the partial last segment: "" (prefix ends with '/'), or the start of a segment
                if (segment.Length > MaxSegmentLength || segment.AsSpan().ContainsAnyExcept(SegmentChars))
                {
                    return $"'{Printable(segment)}' has a character other than letters, digits, '.', '_' and '-'";
                }

                continue;
            }

            if (segment.Length == 0)
            {
                return "it has an empty segment ('//' or a trailing '/')";
            }

            if (segment is "." or "..")
            {
                return $"it has a '{segment}' segment";
            }

            if (segment.Length > MaxSegmentLength)
            {
                return $"a segment is longer than {MaxSegmentLength} characters";
            }

            if (segment.AsSpan().ContainsAnyExcept(SegmentChars))
            {
                return $"'{Printable(segment)}' has a character other than letters, digits, '.', '_' and '-'";
            }
        }

        return null;
    }

    private static string Printable(string text) =>
        text.Length > 80 ? string.Concat(text.AsSpan(0, 80), "...") : text.Replace("\0", "\\0", StringComparison.Ordinal);
}
