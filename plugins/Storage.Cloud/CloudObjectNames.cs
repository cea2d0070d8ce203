using System.Buffers;

namespace Dpm.Storage.Cloud;

/// <summary>
/// Object names as the store contract has them: '/'-separated segments of [A-Za-z0-9._-], no empty, "." or ".."
/// segment, at most 512 characters, so that a name with a store's prefix is always a plain blob name or S3 key.
/// A bad name is a bug in the caller, so it throws.
/// </summary>
internal static class CloudObjectNames
{
    public const int MaxLength = 512;

    private static readonly SearchValues<char> SegmentChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

    public static void Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Problem(name, isPrefix: false) is { } problem)
        {
            throw new ArgumentException($"'{Printable(name)}' is not a valid object name: {problem}.", nameof(name));
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
            if (segment.AsSpan().ContainsAnyExcept(SegmentChars))
            {
                return $"'{Printable(segment)}' has a character other than letters, digits, '.', '_' and '-'";
            }

            if (isPrefix && i == segments.Length - 1)
            {
                continue; // the partial last segment of a prefix may be empty or a part of a segment
            }

            if (segment.Length == 0)
            {
                return "it has an empty segment (a leading or trailing '/', or '//')";
            }

            if (segment is "." or "..")
            {
                return $"it has a '{segment}' segment";
            }
        }

        return null;
    }

    private static string Printable(string text) =>
        text.Length > 80 ? string.Concat(text.AsSpan(0, 80), "...") : text.Replace("\0", "\\0", StringComparison.Ordinal);
}
