namespace Athanor.Reporting;

/// <summary>Lays out and draws one loss chart onto a fresh canvas.</summary>
internal sealed class LossChart
{
    private readonly LossSeries _train;
    private readonly LossSeries _eval;
    private readonly string _title;
    private readonly RasterCanvas _canvas;
    private readonly PixelFont _font = PixelFont.Normal;
    private PixelRect _plot;
    private ChartAxis _x = null!;
    private ChartAxis _y = null!;

    public LossChart(LossSeries train, LossSeries eval, string title, int width, int height)
    {
        _train = train;
        _eval = eval;
        _title = title.Trim();
        _canvas = new RasterCanvas(width, height, ChartStyle.Background);
    }

    private bool HasData => _train.Count + _eval.Count > 0;

    public RasterCanvas Draw()
    {
        Layout();
        DrawGrid();
        DrawSeries();
        DrawFrameAndTicks();
        ChartLegend.Draw(_canvas, _plot, _font, _train.Count, _eval.Count);
        DrawTexts();
        return _canvas;
    }

    private void Layout()
    {
        var (xLow, xHigh, yLow, yHigh) = DataBounds();
        bool integerSteps = AllWhole(_train.Steps) && AllWhole(_eval.Steps);
        var (yMin, yMax) = ChartAxis.PaddedRange(yLow, yHigh, ChartStyle.YMarginFraction, 0.05);
        if (yMin < 0 && yLow >= 0) yMin = 0; // losses are not negative: don't show a negative band for padding alone

        int pad = ChartStyle.Padding;
        int top = pad + (_title.Length > 0 ? _font.LineHeight + pad / 2 : 0);
        int bottom = _canvas.Height - (pad + _font.LineHeight + ChartStyle.CaptionGap + _font.CapHeight
            + ChartStyle.TickLabelGap + ChartStyle.TickLength + 1);
        _y = ChartAxis.Create(yMin, yMax, Math.Max(2, (bottom - top) / 60), integerOnly: false);
        for (int target = 3; _y.Ticks.Length < 2 && target <= 10; target++) // a short axis still gets two labels
            _y = ChartAxis.Create(yMin, yMax, target, integerOnly: false);

        int yLabelWidth = _y.Labels.Length == 0 ? 0 : _y.Labels.Max(l => _font.MeasureWidth(l));
        int left = pad + _font.CapHeight + ChartStyle.CaptionGap + yLabelWidth + ChartStyle.TickLabelGap + ChartStyle.TickLength;
        int right = _canvas.Width - pad - 2 * _font.Scale * 6;
        _plot = new PixelRect(left, top, right, bottom);
        // At least a marker's width of margin, so points at either end are not cut by the frame.
        double xMargin = Math.Max(ChartStyle.XMarginFraction, ChartStyle.MinEdgeMargin / _plot.Width);
        var (xMin, xMax) = ChartAxis.PaddedRange(xLow, xHigh, xMargin, integerSteps ? 1 : 0.5);
        _x = XAxis(xMin, xMax, integerSteps);
    }

    /// <summary>The densest nice x ticks whose labels still leave room between them.</summary>
    private ChartAxis XAxis(double min, double max, bool integerSteps)
    {
        for (int target = Math.Max(2, _plot.Width / 90); ; target--)
        {
            var axis = ChartAxis.Create(min, max, target, integerSteps);
            int widest = axis.Labels.Length == 0 ? 0 : axis.Labels.Max(l => _font.MeasureWidth(l));
            double spacing = axis.Step / axis.Span * _plot.Width;
            if (spacing >= widest + 2 * _font.MeasureWidth("00") || target <= 1) return axis;
        }
    }

    private (double XLow, double XHigh, double YLow, double YHigh) DataBounds()
    {
        if (!HasData) return (0, 1, 0, 1);
        double xLow = double.MaxValue, xHigh = double.MinValue, yLow = double.MaxValue, yHigh = double.MinValue;
        foreach (var series in new[] { _train, _eval })
        {
            if (series.Count == 0) continue;
            xLow = Math.Min(xLow, series.Steps[0]);
            xHigh = Math.Max(xHigh, series.Steps[^1]);
            foreach (double v in series.Values)
            {
                yLow = Math.Min(yLow, v);
                yHigh = Math.Max(yHigh, v);
            }
        }
        return (xLow, xHigh, yLow, yHigh);
    }

    private static bool AllWhole(double[] values)
    {
        foreach (double v in values)
            if (v != Math.Floor(v)) return false;
        return true;
    }

    private double MapX(double x) => _plot.Left + (x - _x.Min) / _x.Span * _plot.Width;
    private double MapY(double y) => _plot.Bottom - (y - _y.Min) / _y.Span * _plot.Height;
    private int Column(double x) => Math.Clamp((int)Math.Floor(MapX(x)), _plot.Left, _plot.Right - 1);
    private int Row(double y) => Math.Clamp((int)Math.Floor(MapY(y)), _plot.Top, _plot.Bottom - 1);

    private void DrawGrid()
    {
        foreach (double t in _x.Ticks)
        {
            int c = Column(t);
            _canvas.FillRect(new PixelRect(c, _plot.Top, c + 1, _plot.Bottom), ChartStyle.Grid);
        }
        foreach (double t in _y.Ticks)
        {
            int r = Row(t);
            _canvas.FillRect(new PixelRect(_plot.Left, r, _plot.Right, r + 1), ChartStyle.Grid);
        }
    }

    private void DrawSeries()
    {
        _canvas.Clip = _plot;
        if (_train.Count > 0)
        {
            var raw = ToPixels(_train.Steps, _train.Values);
            var smoothed = ToPixels(_train.Steps, LossSmoothing.Smooth(_train.Values));
            _canvas.StrokePolyline(raw, ChartStyle.RawWidth, ChartStyle.Train, ChartStyle.RawOpacity);
            _canvas.StrokePolyline(smoothed, ChartStyle.SmoothedWidth, ChartStyle.Train);
            if (_train.Count == 1) // a lone point makes no line: mark it
                _canvas.FillCircle(raw[0].X, raw[0].Y, ChartStyle.MarkerRadius, ChartStyle.Train);
        }
        if (_eval.Count > 0)
        {
            var points = ToPixels(_eval.Steps, _eval.Values);
            if (points.Length > 1)
                _canvas.StrokePolyline(points, ChartStyle.EvalLineWidth, ChartStyle.Eval, ChartStyle.EvalLineOpacity);
            // Too many markers would merge into a band; thin them to about one per marker width.
            double lastX = double.NegativeInfinity;
            foreach (var (x, y) in points)
            {
                if (x - lastX < ChartStyle.MarkerRadius * 2 && points.Length > _plot.Width / 4) continue;
                lastX = x;
                _canvas.FillCircle(x, y, ChartStyle.MarkerRadius + ChartStyle.MarkerRim, ChartStyle.Background);
                _canvas.FillCircle(x, y, ChartStyle.MarkerRadius, ChartStyle.Eval);
            }
        }
        _canvas.Clip = _canvas.Bounds;
    }

    private (double X, double Y)[] ToPixels(double[] steps, double[] values)
    {
        var points = new (double X, double Y)[steps.Length];
        for (int i = 0; i < points.Length; i++)
            points[i] = (MapX(steps[i]), MapY(values[i]));
        return PolylineDecimator.Decimate(points);
    }

    private void DrawFrameAndTicks()
    {
        var frame = _plot.Inflate(1);
        _canvas.FillRect(frame with { Bottom = frame.Top + 1 }, ChartStyle.Frame);
        _canvas.FillRect(frame with { Top = frame.Bottom - 1 }, ChartStyle.Frame);
        _canvas.FillRect(frame with { Right = frame.Left + 1 }, ChartStyle.Frame);
        _canvas.FillRect(frame with { Left = frame.Right - 1 }, ChartStyle.Frame);

        int tickTop = _plot.Bottom + 1;
        int labelTop = tickTop + ChartStyle.TickLength + ChartStyle.TickLabelGap;
        for (int i = 0; i < _x.Ticks.Length; i++)
        {
            int c = Column(_x.Ticks[i]);
            _canvas.FillRect(new PixelRect(c, tickTop, c + 1, tickTop + ChartStyle.TickLength), ChartStyle.Frame);
            int w = _font.MeasureWidth(_x.Labels[i]);
            int x = Math.Clamp(c - w / 2, 0, _canvas.Width - w);
            _font.Draw(_canvas, _x.Labels[i], x, labelTop, ChartStyle.Text);
        }

        int tickRight = _plot.Left - 1;
        for (int i = 0; i < _y.Ticks.Length; i++)
        {
            int r = Row(_y.Ticks[i]);
            _canvas.FillRect(new PixelRect(tickRight - ChartStyle.TickLength, r, tickRight, r + 1), ChartStyle.Frame);
            int w = _font.MeasureWidth(_y.Labels[i]);
            int x = tickRight - ChartStyle.TickLength - ChartStyle.TickLabelGap - w;
            _font.Draw(_canvas, _y.Labels[i], x, r - _font.CapHeight / 2, ChartStyle.Text);
        }
    }

    private void DrawTexts()
    {
        int pad = ChartStyle.Padding;
        int centre = (_plot.Left + _plot.Right) / 2;
        if (_title.Length > 0)
        {
            string title = FitText(_title, _canvas.Width - 2 * pad, bold: true);
            int w = _font.MeasureWidth(title, bold: true);
            _font.Draw(_canvas, title, Math.Clamp(centre - w / 2, pad, _canvas.Width - pad - w), pad, ChartStyle.Text, bold: true);
        }

        const string xCaption = "step";
        int captionTop = _canvas.Height - pad - _font.LineHeight; // room below for the descender of 'p'
        int captionLeft = centre - _font.MeasureWidth(xCaption) / 2;
        _font.Draw(_canvas, xCaption, captionLeft, captionTop, ChartStyle.Text);

        const string yCaption = "loss";
        int middle = (_plot.Top + _plot.Bottom) / 2;
        _font.DrawUpwards(_canvas, yCaption, pad, middle + _font.MeasureWidth(yCaption) / 2, ChartStyle.Text);

        int skipped = _train.Skipped + _eval.Skipped;
        if (skipped > 0)
        {
            string note = $"skipped {skipped} non-finite point{(skipped == 1 ? "" : "s")}";
            var font = _font.MeasureWidth(note) + pad <= captionLeft - pad ? _font : PixelFont.Small;
            font.Draw(_canvas, note, pad, captionTop + _font.CapHeight - font.CapHeight, ChartStyle.MutedText);
        }
        if (!HasData)
        {
            const string empty = "no finite loss values";
            _font.Draw(_canvas, empty, centre - _font.MeasureWidth(empty) / 2,
                (_plot.Top + _plot.Bottom - _font.CapHeight) / 2, ChartStyle.MutedText);
        }
    }

    /// <summary><paramref name="text"/> shortened with "..." until it fits <paramref name="width"/> pixels.</summary>
    private string FitText(string text, int width, bool bold)
    {
        if (_font.MeasureWidth(text, bold) <= width) return text;
        for (int keep = text.Length - 1; keep > 0; keep--)
        {
            string candidate = text[..keep].TrimEnd() + "...";
            if (_font.MeasureWidth(candidate, bold) <= width) return candidate;
        }
        return "...";
    }
}
