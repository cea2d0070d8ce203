using System.Text;

namespace Dpm.Workloads.Files;

/// <summary>
/// Item paths: relative, '/'-separated, "" for the data source root. Every path that comes from outside (a
/// recovery source, the host) is split here and refused unless each segment is one plain name, so that
/// nothing built from it can reach outside the folder it is joined to.
/// </summary>
internal static class ItemPaths
{
    private const int MaxNameBytes = 255;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Splits <paramref name="path"/> into names, or says why it is not a safe relative item path.</summary>
    public static bool TrySplit(string? path, out string[] segments, out string error)
    {
        segments = [];
        error = "";
        if (path is null)
        {
            error = "the item has no path";
            return false;
        }

        if (path.Length == 0)
        {
            return true;
        }

        var why = path.Contains('\0', StringComparison.Ordinal) ? "it contains a NUL character"
            : path.StartsWith('/') ? "it is absolute (starts with '/')"
            : null;
        if (why is null)
        {
            segments = path.Split('/');
            foreach (var segment in segments)
            {
                why = segment.Length == 0 ? "it has an empty segment (a leading, trailing or double '/')"
                    : segment is "." or ".." ? $"it contains a '{segment}' segment"
                    : segment.Split('\\').Any(part => part is "." or "..") ? "it contains a '..' or '.' segment hidden behind '\\' separators"
                    : !IsEncodable(segment, out var bytes) ? "it is not valid Unicode"
                    : bytes > MaxNameBytes ? $"a name is longer than {MaxNameBytes} bytes"
                    : null;
                if (why is not null)
                {
                    break;
                }
            }
        }

        if (why is null)
        {
            return true;
        }

        segments = [];
        error = $"refused the unsafe item path '{Printable(path)}': {why}";
        return false;
    }

    public static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "/" + name;

    public static string Join(IEnumerable<string> segments) => string.Join('/', segments);

    /// <summary>The parent of a path ("" for a top-level item).</summary>
    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }

    /// <summary>The last name of a path.</summary>
    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>Whether <paramref name="path"/> is <paramref name="folder"/> or lies below it.</summary>
    public static bool IsSameOrBelow(string path, string folder) =>
        folder.Length == 0 || path == folder || (path.Length > folder.Length && path[folder.Length] == '/' && path.StartsWith(folder, StringComparison.Ordinal));

    /// <summary>A path for log lines and messages: control characters are escaped, very long paths shortened.</summary>
    public static string Printable(string path)
    {
        var builder = new StringBuilder(Math.Min(path.Length, 300));
        foreach (var c in path.Length > 300 ? string.Concat(path.AsSpan(0, 140), "…", path.AsSpan(path.Length - 140)) : path)
        {
            _ = c switch
            {
                '\n' => builder.Append("\\n"),
                '\t' => builder.Append("\\t"),
                '\r' => builder.Append("\\r"),
                '\0' => builder.Append("\\0"),
                _ when char.IsControl(c) => builder.Append(@"\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }

    private static bool IsEncodable(string segment, out int bytes)
    {
        try
        {
            bytes = StrictUtf8.GetByteCount(segment);
            return true;
        }
        catch (EncoderFallbackException)
        {
            bytes = 0;
            return false;
        }
    }
}
