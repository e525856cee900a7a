using ScottPlot;
using SkiaSharp;

namespace Athanor.Reporting;

/// <summary>
/// The charts' typeface: DejaVu Sans, shipped inside this assembly, so text renders the same everywhere,
/// including on a server or container with no fonts installed (ScottPlot's Skia build reads no system font
/// configuration, and finds nothing on a bare Debian). Every label of a chart names <see cref="Name"/>.
/// </summary>
public static class ChartFont
{
    /// <summary>
    /// A family name no installed font has, so only the bundled file answers to it. A property, not a constant, so
    /// that naming it registers the font first (ScottPlot would otherwise cache its fallback under this name).
    /// </summary>
    public static string Name { get; } = "Athanor DejaVu Sans";

    private const string Resource = "Athanor.Reporting.Fonts.DejaVuSans.ttf";

    private static readonly SKData FontData = LoadResource();

    /// <summary>The bundled typeface (regular: every style is drawn with it).</summary>
    public static SKTypeface Typeface { get; } = SKTypeface.FromData(FontData)
        ?? throw new InvalidOperationException($"The bundled font {Resource} could not be read by Skia.");

    // ScottPlot resolves font names through its process-wide resolver list: registered once, before any chart
    // names the font (this static constructor runs before Apply can be called), and never changed afterwards.
    static ChartFont() => Fonts.FontResolvers.Insert(0, new Resolver());

    /// <summary>Sets the bundled font on the plot's title, axis labels, tick labels and legend.</summary>
    public static void Apply(Plot plot)
    {
        plot.Axes.Title.Label.FontName = Name;
        plot.Axes.Title.Label.Bold = false;
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.Label.FontName = Name;
            axis.Label.Bold = false;
            axis.TickLabelStyle.FontName = Name;
        }
        plot.Legend.FontName = Name;
    }

    /// <summary>Sets the bundled font on one free-standing label (an annotation or a text).</summary>
    public static void Apply(LabelStyle label)
    {
        label.FontName = Name;
        label.Bold = false;
    }

    private static SKData LoadResource()
    {
        using var stream = typeof(ChartFont).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"The bundled font {Resource} is missing from {typeof(ChartFont).Assembly.GetName().Name}.");
        return SKData.Create(stream);
    }

    private sealed class Resolver : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            fontName == Name ? SKTypeface.FromData(FontData) : null;

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            fontName == Name ? SKTypeface.FromData(FontData) : null;
    }
}
