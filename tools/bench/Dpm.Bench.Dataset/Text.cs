using System.Globalization;
using System.Text;

namespace Dpm.Bench.Dataset;

/// <summary>Writes UTF-8 into a span and stops quietly when it is full (the last token is cut, as at a page end).</summary>
internal ref struct Utf8Sink(Span<byte> target)
{
    private readonly Span<byte> target = target;

    public int Length { get; private set; }

    public readonly bool Full => Length >= target.Length;

    public readonly int Remaining => target.Length - Length;

    public void Append(scoped ReadOnlySpan<byte> bytes)
    {
        var n = Math.Min(bytes.Length, target.Length - Length);
        bytes[..n].CopyTo(target[Length..]);
        Length += n;
    }

    public void Append(byte b)
    {
        if (Length < target.Length)
        {
            target[Length++] = b;
        }
    }

    public void AppendFormatted<T>(T value, ReadOnlySpan<char> format = default)
        where T : IUtf8SpanFormattable
    {
        Span<byte> scratch = stackalloc byte[48];
        if (value.TryFormat(scratch, out var written, format, CultureInfo.InvariantCulture))
        {
            Append(scratch[..written]);
        }
    }
}

/// <summary>Text made of the fixed vocabulary: prose, CSV rows and log lines that compress about 3:1 with zstd.</summary>
internal static class Text
{
    private static readonly byte[][] CapitalFunction = [.. Vocabulary.Function.Select(Capitalize)];
    private static readonly byte[][] CapitalContent = [.. Vocabulary.Content.Select(Capitalize)];

    /// <summary>Which content words are frequent: a fixed shuffle, so frequency does not follow the alphabet.</summary>
    private static readonly int[] ContentOrder = Shuffled(Vocabulary.Content.Length);

    private static ReadOnlySpan<byte> Regions => "North,South,East,West,Central,EMEA,APAC,Nordics"u8;

    /// <summary>Fills the whole span with prose: sentences, commas, a few numbers, paragraphs.</summary>
    public static void FillProse(Span<byte> target, Prng rng)
    {
        var sink = new Utf8Sink(target);
        while (!sink.Full)
        {
            Sentence(ref sink, rng, rng.Next(6, 23));
            sink.Append(rng.Chance(0.18) ? "\n\n"u8 : " "u8);
        }
    }

    /// <summary>One sentence of the given number of words, ending with a full stop.</summary>
    public static void Sentence(ref Utf8Sink sink, Prng rng, int words)
    {
        for (var i = 0; i < words && !sink.Full; i++)
        {
            if (i > 0)
            {
                sink.Append(i > 2 && i < words - 2 && rng.Chance(0.07) ? ", "u8 : " "u8);
            }

            if (rng.Chance(0.05))
            {
                Number(ref sink, rng);
            }
            else
            {
                sink.Append(Word(rng, capital: i == 0));
            }
        }

        sink.Append((byte)'.');
    }

    /// <summary>A word: a third are function words, content words are skewed towards the start of the list.</summary>
    public static byte[] Word(Prng rng, bool capital = false)
    {
        if (rng.Chance(0.34))
        {
            var f = rng.Next(Vocabulary.Function.Length);
            return capital ? CapitalFunction[f] : Vocabulary.Function[f];
        }

        var u = rng.NextDouble();
        var c = ContentOrder[(int)(u * u * Vocabulary.Content.Length)];
        return capital ? CapitalContent[c] : Vocabulary.Content[c];
    }

    public static void Number(ref Utf8Sink sink, Prng rng)
    {
        switch (rng.Next(4))
        {
            case 0:
                sink.AppendFormatted(rng.Next(2, 100));
                break;
            case 1:
                sink.AppendFormatted(rng.Next(2018, 2026));
                break;
            case 2:
                sink.AppendFormatted(rng.Next(1, 1000) / 10.0, "0.0");
                sink.Append((byte)'%');
                break;
            default:
                sink.AppendFormatted(rng.Next(1000, 250000), "#,0");
                break;
        }
    }

    /// <summary>A region name for CSV rows.</summary>
    public static ReadOnlySpan<byte> Region(Prng rng)
    {
        var all = Regions;
        var index = rng.Next(8);
        for (var i = 0; i < index; i++)
        {
            all = all[(all.IndexOf((byte)',') + 1)..];
        }

        var end = all.IndexOf((byte)',');
        return end < 0 ? all : all[..end];
    }

    private static int[] Shuffled(int count)
    {
        var order = Enumerable.Range(0, count).ToArray();
        var rng = new Prng(20240101);
        for (var i = count - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order;
    }

    private static byte[] Capitalize(byte[] word)
    {
        var s = Encoding.UTF8.GetString(word);
        return Encoding.UTF8.GetBytes(char.ToUpperInvariant(s[0]) + s[1..]);
    }
}

/// <summary>
/// Makes text one line at a time and keeps the unfinished line across calls, so a file written in large buffers is
/// the same as one written at once.
/// </summary>
internal abstract class LineComposer(Prng rng)
{
    private readonly byte[] line = new byte[4096];
    private int pendingStart;
    private int pending;

    protected Prng Rng { get; } = rng;

    public void Fill(Span<byte> target)
    {
        var position = 0;
        while (position < target.Length)
        {
            if (pending == 0)
            {
                var sink = new Utf8Sink(line);
                WriteLine(ref sink);
                pending = sink.Length;
                pendingStart = 0;
            }

            var n = Math.Min(pending, target.Length - position);
            line.AsSpan(pendingStart, n).CopyTo(target[position..]);
            position += n;
            pendingStart += n;
            pending -= n;
        }
    }

    /// <summary>Writes one line, newline included (at most 4 KiB).</summary>
    protected abstract void WriteLine(ref Utf8Sink sink);
}

/// <summary>Prose, paragraph by paragraph.</summary>
internal sealed class ProseComposer(Prng rng) : LineComposer(rng)
{
    protected override void WriteLine(ref Utf8Sink sink)
    {
        var sentences = Rng.Next(1, 6);
        for (var i = 0; i < sentences; i++)
        {
            if (i > 0)
            {
                sink.Append((byte)' ');
            }

            Text.Sentence(ref sink, Rng, Rng.Next(6, 23));
        }

        sink.Append("\n\n"u8);
    }
}

/// <summary>A sales export: a header, then one order per line.</summary>
internal sealed class CsvComposer(Prng rng) : LineComposer(rng)
{
    private long row;

    protected override void WriteLine(ref Utf8Sink sink)
    {
        if (row++ == 0)
        {
            sink.Append("order_id,order_date,customer,region,product,quantity,unit_price,total,status,note\n"u8);
            return;
        }

        var quantity = Rng.Next(1, 500);
        var price = Rng.Next(100, 250000) / 100.0;
        sink.AppendFormatted(100000 + row);
        sink.Append((byte)',');
        sink.AppendFormatted(new DateOnly(2019, 1, 1).AddDays(Rng.Next(2400)), "yyyy-MM-dd");
        sink.Append((byte)',');
        sink.Append(Text.Word(Rng, capital: true));
        sink.Append((byte)' ');
        sink.Append(Text.Word(Rng, capital: true));
        sink.Append((byte)',');
        sink.Append(Text.Region(Rng));
        sink.Append(",P-"u8);
        sink.AppendFormatted(Rng.Next(1000, 1400));
        sink.Append((byte)',');
        sink.AppendFormatted(quantity);
        sink.Append((byte)',');
        sink.AppendFormatted(price, "0.00");
        sink.Append((byte)',');
        sink.AppendFormatted(price * quantity, "0.00");
        sink.Append(Rng.Chance(0.8) ? ",shipped,"u8 : ",open,"u8);
        if (Rng.Chance(0.3))
        {
            for (var i = Rng.Next(2, 8); i > 0; i--)
            {
                sink.Append(Text.Word(Rng));
                sink.Append(i > 1 ? " "u8 : ""u8);
            }
        }

        sink.Append((byte)'\n');
    }
}

/// <summary>An application log: timestamp, level, component, message, an id and a duration per line.</summary>
internal sealed class LogComposer(Prng rng, DateTime start) : LineComposer(rng)
{
    private DateTime clock = start;

    protected override void WriteLine(ref Utf8Sink sink)
    {
        clock = clock.AddMilliseconds(Rng.Next(1, 4000));
        sink.AppendFormatted(clock, "yyyy-MM-dd HH:mm:ss.fff");
        var level = Rng.Next(100);
        sink.Append(level < 80 ? " INFO  ["u8 : level < 95 ? " WARN  ["u8 : " ERROR ["u8);
        sink.Append(Vocabulary.Components[Rng.Next(Vocabulary.Components.Length)]);
        sink.Append("] "u8);
        Text.Sentence(ref sink, Rng, Rng.Next(4, 13));
        sink.Append(" id="u8);
        sink.AppendFormatted((uint)Rng.NextUInt64(), "x8");
        sink.Append(" took="u8);
        sink.AppendFormatted(Rng.Next(0, 5000));
        sink.Append("ms\n"u8);
    }
}
