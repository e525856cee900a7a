namespace Athanor.Models;

/// <summary>Rotary embedding settings: the base (theta) and an optional frequency scaling rule.</summary>
public sealed record RopeSettings(double Theta, string Type = "default", double Factor = 1.0,
    double LowFreqFactor = 1.0, double HighFreqFactor = 4.0, int OriginalMaxPositionEmbeddings = 8192)
{
    public static readonly IReadOnlyList<string> SupportedTypes = ["default", "linear", "llama3"];
}
