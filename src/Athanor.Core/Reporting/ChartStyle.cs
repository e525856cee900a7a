namespace Athanor.Reporting;

/// <summary>Colours and sizes of the loss chart, in one place (matplotlib-like palette).</summary>
internal static class ChartStyle
{
    public static readonly Rgb Background = Rgb.White;
    public static readonly Rgb Grid = Rgb.FromHex(0xE8E8E8);
    public static readonly Rgb Frame = Rgb.FromHex(0x4D4D4D);
    public static readonly Rgb Text = Rgb.FromHex(0x262626);
    public static readonly Rgb MutedText = Rgb.FromHex(0x7A7A7A);
    public static readonly Rgb LegendBorder = Rgb.FromHex(0xCCCCCC);

    /// <summary>Train loss: raw as a thin translucent line, smoothed as a solid thicker one.</summary>
    public static readonly Rgb Train = Rgb.FromHex(0x1F77B4);
    public const double RawWidth = 1.25;
    public const double RawOpacity = 0.35;
    public const double SmoothedWidth = 2.25;

    /// <summary>Eval loss: markers with a white rim joined by a faint line.</summary>
    public static readonly Rgb Eval = Rgb.FromHex(0xFF7F0E);
    public const double EvalLineWidth = 1.25;
    public const double EvalLineOpacity = 0.55;
    public const double MarkerRadius = 3.75;
    public const double MarkerRim = 1.25;

    public const int Padding = 14;
    public const int TickLength = 5;
    public const int TickLabelGap = 6;
    public const int CaptionGap = 10;
    public const double XMarginFraction = 0.02;
    public const double YMarginFraction = 0.06;
    public const double MinEdgeMargin = 8;
}
