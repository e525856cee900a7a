using Athanor.Reporting;

namespace Athanor.Tests.Reporting;

public class RasterCanvasTests
{
    private static readonly Rgb Blue = Rgb.FromHex(0x1F77B4);

    [Fact]
    public void NewCanvas_IsFilledWithTheBackground()
    {
        var canvas = new RasterCanvas(5, 4, Rgb.FromHex(0x102030));
        Assert.Equal(Rgb.FromHex(0x102030), canvas.GetPixel(0, 0));
        Assert.Equal(Rgb.FromHex(0x102030), canvas.GetPixel(4, 3));
    }

    [Fact]
    public void FillCircle_CoversTheCentreFullyAndLeavesTheOutsideUntouched()
    {
        var canvas = new RasterCanvas(40, 40, Rgb.White);
        canvas.FillCircle(20, 20, 5, Blue);

        Assert.Equal(Blue, canvas.GetPixel(20, 20));
        Assert.Equal(Blue, canvas.GetPixel(17, 20));
        Assert.Equal(Rgb.White, canvas.GetPixel(27, 20));
        Assert.Equal(Rgb.White, canvas.GetPixel(15, 15)); // the corner of the bounding square is outside the disc
        var edge = canvas.GetPixel(24, 20);               // centre 4.5 from the middle: partly covered
        Assert.NotEqual(Blue, edge);
        Assert.NotEqual(Rgb.White, edge);
    }

    [Fact]
    public void StrokePolyline_HorizontalLineIsSolidOnItsRowAndSoftAtTheEdges()
    {
        var canvas = new RasterCanvas(60, 20, Rgb.White);
        canvas.StrokePolyline([(5.0, 10.5), (55.0, 10.5)], 1, Blue);

        for (int x = 6; x < 55; x++)
            Assert.Equal(Blue, canvas.GetPixel(x, 10));
        Assert.Equal(Rgb.White, canvas.GetPixel(30, 8));
        Assert.Equal(Rgb.White, canvas.GetPixel(58, 10));
    }

    [Fact]
    public void StrokePolyline_TranslucentLineIsNotDarkerWhereSegmentsOverlap()
    {
        var once = new RasterCanvas(60, 20, Rgb.White);
        once.StrokePolyline([(5.0, 10.5), (55.0, 10.5)], 2, Blue, 0.4);
        var doubledBack = new RasterCanvas(60, 20, Rgb.White);
        doubledBack.StrokePolyline([(5.0, 10.5), (55.0, 10.5), (5.0, 10.5)], 2, Blue, 0.4);

        Assert.Equal(once.Pixels.ToArray(), doubledBack.Pixels.ToArray());
        Assert.Equal(Blue.Over(Rgb.White, 0.4), once.GetPixel(30, 10));
    }

    [Fact]
    public void Clip_KeepsDrawingInsideTheRectangle()
    {
        var canvas = new RasterCanvas(30, 30, Rgb.White) { Clip = new PixelRect(10, 10, 20, 20) };
        canvas.StrokePolyline([(0.0, 15.5), (30.0, 15.5)], 3, Blue);
        canvas.FillRect(new PixelRect(0, 0, 30, 30), Blue);

        Assert.Equal(Rgb.White, canvas.GetPixel(5, 15));
        Assert.Equal(Rgb.White, canvas.GetPixel(25, 5));
        Assert.Equal(Blue, canvas.GetPixel(15, 15));
    }

    [Fact]
    public void SinglePointPolyline_DrawsARoundDot()
    {
        var canvas = new RasterCanvas(20, 20, Rgb.White);
        canvas.StrokePolyline([(10.5, 10.5)], 3, Blue);
        Assert.Equal(Blue, canvas.GetPixel(10, 10));
        Assert.Equal(Rgb.White, canvas.GetPixel(14, 10));
    }
}
