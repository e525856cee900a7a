using Athanor.Reporting;

namespace Athanor.Tests.Reporting;

public class PixelFontTests
{
    [Fact]
    public void EveryPrintableAsciiCharacterHasInkExceptSpace()
    {
        for (char c = '!'; c <= '~'; c++)
        {
            var canvas = new RasterCanvas(30, 30, Rgb.White);
            PixelFont.Normal.Draw(canvas, c.ToString(), 5, 5, Rgb.Black);
            Assert.True(InkBox(canvas).Width > 0, $"glyph '{c}' drew nothing");
        }
    }

    [Fact]
    public void DigitsShareOneWidthSoTickLabelsLineUp()
    {
        var widths = "0123456789".Select(d => PixelFont.Normal.MeasureWidth(d.ToString())).Distinct();
        Assert.Equal([10], widths.ToArray());
        Assert.Equal(PixelFont.Normal.MeasureWidth("1000"), PixelFont.Normal.MeasureWidth("8888"));
    }

    [Fact]
    public void DrawnInkStaysInsideTheMeasuredBox()
    {
        var font = PixelFont.Normal;
        const string text = "loss 0.25 (Wg)";
        var canvas = new RasterCanvas(300, 40, Rgb.White);
        font.Draw(canvas, text, 10, 10, Rgb.Black);

        var box = InkBox(canvas);
        Assert.Equal(10, box.Left);
        Assert.Equal(10 + font.MeasureWidth(text), box.Right);
        Assert.Equal(10, box.Top);
        Assert.True(box.Bottom <= 10 + font.LineHeight);
    }

    [Fact]
    public void UpwardsTextIsTheSameInkTurned()
    {
        var font = PixelFont.Normal;
        var canvas = new RasterCanvas(60, 80, Rgb.White);
        font.DrawUpwards(canvas, "loss", 10, 70, Rgb.Black);

        var box = InkBox(canvas);
        Assert.Equal(70 - font.MeasureWidth("loss"), box.Top);
        Assert.Equal(70, box.Bottom);
        Assert.Equal(10, box.Left);
    }

    [Fact]
    public void CharactersOutsideAsciiDrawAsQuestionMark() =>
        Assert.Equal(PixelFont.Normal.MeasureWidth("a?b"), PixelFont.Normal.MeasureWidth("a\u00e9b"));

    private static PixelRect InkBox(RasterCanvas canvas)
    {
        int left = int.MaxValue, top = int.MaxValue, right = int.MinValue, bottom = int.MinValue;
        for (int y = 0; y < canvas.Height; y++)
        for (int x = 0; x < canvas.Width; x++)
        {
            if (canvas.GetPixel(x, y) == Rgb.White) continue;
            left = Math.Min(left, x);
            top = Math.Min(top, y);
            right = Math.Max(right, x + 1);
            bottom = Math.Max(bottom, y + 1);
        }
        return left == int.MaxValue ? default : new PixelRect(left, top, right, bottom);
    }
}
