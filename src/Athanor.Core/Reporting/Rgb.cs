namespace Athanor.Reporting;

/// <summary>An opaque 8-bit-per-channel colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public static readonly Rgb White = new(255, 255, 255);
    public static readonly Rgb Black = new(0, 0, 0);

    /// <summary>From 0xRRGGBB.</summary>
    public static Rgb FromHex(int rgb) => new((byte)(rgb >> 16), (byte)(rgb >> 8), (byte)rgb);

    /// <summary>This colour laid over <paramref name="below"/> with the given opacity (0..1).</summary>
    public Rgb Over(Rgb below, double opacity) => new(
        Mix(R, below.R, opacity), Mix(G, below.G, opacity), Mix(B, below.B, opacity));

    internal static byte Mix(byte top, byte below, double opacity) =>
        (byte)Math.Clamp((int)Math.Round(below + (top - below) * opacity), 0, 255);

    public override string ToString() => $"#{R:x2}{G:x2}{B:x2}";
}
