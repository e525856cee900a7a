using System.Globalization;

namespace Athanor.Export;

/// <summary>Sizes as transformers' max_shard_size spells them: "5GB" (powers of 1000), "2GiB" (powers of 1024), or plain bytes.</summary>
public static class ByteSize
{
    private static readonly (string Suffix, long Factor)[] Units =
    [
        ("KIB", 1L << 10), ("MIB", 1L << 20), ("GIB", 1L << 30), ("TIB", 1L << 40),
        ("KB", 1_000L), ("MB", 1_000_000L), ("GB", 1_000_000_000L), ("TB", 1_000_000_000_000L), ("B", 1L),
    ];

    public static long Parse(string text, string what = "--shard-size")
    {
        var s = text.Trim().ToUpperInvariant();
        long factor = 1;
        foreach (var (suffix, f) in Units)
            if (s.EndsWith(suffix, StringComparison.Ordinal))
            {
                s = s[..^suffix.Length].TrimEnd();
                factor = f;
                break;
            }
        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number) || number <= 0
            || number * factor >= long.MaxValue || number * factor < 1)
            throw new ExportException($"{what} '{text}' is not a size; accepted: bytes (e.g. 1048576) or a number with KB, MB, GB, KiB, MiB or GiB (e.g. 500MB, 5GB, 2GiB)");
        return (long)(number * factor);
    }
}
