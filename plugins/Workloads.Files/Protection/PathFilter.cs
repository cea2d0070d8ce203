using System.Text;
using System.Text.RegularExpressions;

namespace Dpm.Workloads.Files.Protection;

/// <summary>
/// A session's include and exclude rules: glob patterns relative to the data source root. <c>*</c> matches
/// within one name, <c>?</c> one character, <c>**</c> any number of folders. A pattern without '/' matches
/// a name at any depth (<c>*.tmp</c>); one with '/' is anchored at the root (<c>cache/**</c>, <c>/build</c>).
/// A matching folder takes everything below it along. Exclude wins over include; with no include patterns
/// everything is included.
/// </summary>
internal sealed class PathFilter
{
    private readonly Regex[] _include;
    private readonly Regex[] _exclude;

    public PathFilter(IReadOnlyList<string> include, IReadOnlyList<string> exclude)
    {
        IncludePatterns = include;
        _include = [.. include.Select(p => Compile(p, nameof(include)))];
        _exclude = [.. exclude.Select(p => Compile(p, nameof(exclude)))];
    }

    public IReadOnlyList<string> IncludePatterns { get; }

    public bool HasIncludes => _include.Length > 0;

    /// <summary>Whether <paramref name="path"/> (and so everything below it) is left out.</summary>
    public bool IsExcluded(string path) => path.Length > 0 && _exclude.Any(r => r.IsMatch(path));

    /// <summary>Whether <paramref name="path"/> matches an include pattern (always true without include patterns).</summary>
    public bool IsIncluded(string path) => _include.Length == 0 || (path.Length > 0 && _include.Any(r => r.IsMatch(path)));

    private static Regex Compile(string pattern, string list)
    {
        var glob = pattern.Trim();
        if (glob.Length == 0 || glob.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"An {list} pattern is empty or holds a NUL character.", list);
        }

        var anchored = glob.StartsWith('/') || glob.TrimEnd('/').Contains('/', StringComparison.Ordinal);
        glob = glob.Trim('/');
        var regex = new StringBuilder(@"\A");
        if (!anchored)
        {
            regex.Append("(?:.*/)?");
        }

        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                var startsSegment = i == 0 || glob[i - 1] == '/';
                var endsSegment = i + 2 == glob.Length || glob[i + 2] == '/';
                if (startsSegment && endsSegment && i + 2 < glob.Length)
                {
                    regex.Append("(?:.*/)?"); // "**/" : any number of folders, none included
                    i += 2;
                }
                else
                {
                    regex.Append(".*");
                    i++;
                }
            }
            else
            {
                regex.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(c.ToString()),
                });
            }
        }

        // A matching folder takes what is below it along.
        regex.Append(@"(?:/.*)?\z");
        return new Regex(regex.ToString(), RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }
}
