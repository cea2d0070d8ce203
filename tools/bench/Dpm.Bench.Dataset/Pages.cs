using System.Buffers.Binary;

namespace Dpm.Bench.Dataset;

/// <summary>Pages of database files (8 KiB, like SQL Server's) and virtual disks (4 KiB clusters).</summary>
internal static class Pages
{
    public const int DatabasePageSize = 8192;
    public const int DiskPageSize = 4096;
    private const int HeaderSize = 96;

    /// <summary>
    /// A data page: a header with the page number and a random log sequence number, rows (ids, amounts, dates and a
    /// short text) up to a random fill factor, free space as zeros and the slot array at the end. Compresses about 2:1.
    /// </summary>
    public static void Database(Span<byte> page, Prng rng, long pageNumber, int objectId)
    {
        page.Clear();
        page[0] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(page[4..], (uint)pageNumber);
        BinaryPrimitives.WriteInt32LittleEndian(page[8..], objectId);
        BinaryPrimitives.WriteUInt64LittleEndian(page[16..], rng.NextUInt64());
        var fill = 0.45 + (0.55 * rng.NextDouble());
        var limit = HeaderSize + (int)((page.Length - HeaderSize) * fill);
        var position = HeaderSize;
        var slot = 0;
        Span<byte> text = stackalloc byte[160];
        while (true)
        {
            var sink = new Utf8Sink(text);
            for (var i = rng.Next(2, 11); i > 0 && !sink.Full; i--)
            {
                sink.Append(Text.Word(rng));
                sink.Append((byte)' ');
            }

            var rowLength = 2 + 1 + 8 + 4 + 8 + 4 + sink.Length;
            var slotArray = page.Length - (2 * (slot + 1));
            if (position + rowLength > Math.Min(limit, slotArray))
            {
                break;
            }

            var row = page.Slice(position, rowLength);
            BinaryPrimitives.WriteUInt16LittleEndian(row, (ushort)rowLength);
            row[2] = 0x30;
            BinaryPrimitives.WriteInt64LittleEndian(row[3..], (pageNumber * 128) + slot);
            BinaryPrimitives.WriteInt32LittleEndian(row[11..], rng.Next(100000));
            BinaryPrimitives.WriteInt64LittleEndian(row[15..], rng.NextInt64(0, 10_000_000));
            BinaryPrimitives.WriteInt32LittleEndian(row[23..], 43000 + rng.Next(2400));
            text[..sink.Length].CopyTo(row[27..]);
            BinaryPrimitives.WriteUInt16LittleEndian(page[slotArray..], (ushort)position);
            position += rowLength;
            slot++;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(page[2..], (ushort)slot);
    }

    /// <summary>
    /// A virtual disk cluster: random (compressed files inside the guest), text, binary (executables, registry:
    /// many zero bytes) or zero.
    /// </summary>
    public static void Disk(Span<byte> page, Prng rng)
    {
        var kind = rng.Next(100);
        if (kind < 35)
        {
            rng.Fill(page);
        }
        else if (kind < 65)
        {
            Text.FillProse(page, rng);
        }
        else if (kind < 90)
        {
            for (var i = 0; i + 8 <= page.Length; i += 8)
            {
                var word = rng.NextUInt64();
                var value = (word & 3) switch
                {
                    0 => 0UL,
                    1 => word >> 40,
                    2 => word >> 16,
                    _ => word,
                };
                BinaryPrimitives.WriteUInt64LittleEndian(page[i..], value);
            }
        }
        else
        {
            page.Clear();
        }
    }
}
