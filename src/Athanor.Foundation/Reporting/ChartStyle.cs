using ScottPlot;

namespace Athanor.Reporting;

/// <summary>Colours and sizes of the loss chart, in one place (matplotlib's palette, as LLaMA-Factory's plot).</summary>
internal static class ChartStyle
{
    public static readonly Color Background = Colors.White;
    public static readonly Color MutedText = Color.FromHex("#7A7A7A");

    /// <summary>Train loss: raw as a thin translucent line, smoothed as a solid thicker one.</summary>
    public static readonly Color Train = Color.FromHex("#1F77B4");
    public const float RawWidth = 1.25f;
    public const double RawOpacity = 0.35;
    public const float SmoothedWidth = 2.25f;

    /// <summary>Eval loss: markers joined by a faint line.</summary>
    public static readonly Color Eval = Color.FromHex("#FF7F0E");
    public const float EvalLineWidth = 1.25f;
    public const double EvalLineOpacity = 0.55;
    public const float MarkerSize = 7.5f;

    public const float TitleSize = 16;
    public const float NoteSize = 12;
    public const float TitlePadding = 14;
    /// <summary>The title is centred over the plot, not the figure: the y axis pushes it right by about this much.</summary>
    public const float TitleCentreShift = 60;
}
