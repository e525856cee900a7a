namespace Athanor.Reporting;

/// <summary>
/// Thins a polyline in pixel coordinates before stroking: where many consecutive points fall in one pixel
/// column only the first, lowest, highest and last are kept, which draws the same picture. Linear time.
/// </summary>
internal static class PolylineDecimator
{
    public static (double X, double Y)[] Decimate((double X, double Y)[] points)
    {
        if (points.Length <= 4) return points;
        var result = new List<(double X, double Y)>(Math.Min(points.Length, 4096));
        int start = 0;
        while (start < points.Length)
        {
            double column = Math.Floor(points[start].X);
            int end = start + 1;
            while (end < points.Length && Math.Floor(points[end].X) == column) end++;
            AppendColumn(result, points, start, end);
            start = end;
        }
        return result.Count == points.Length ? points : result.ToArray();
    }

    private static void AppendColumn(List<(double X, double Y)> result, (double X, double Y)[] points, int start, int end)
    {
        if (end - start <= 4)
        {
            for (int i = start; i < end; i++) result.Add(points[i]);
            return;
        }
        int low = start, high = start;
        for (int i = start + 1; i < end; i++)
        {
            if (points[i].Y < points[low].Y) low = i;
            if (points[i].Y > points[high].Y) high = i;
        }
        result.Add(points[start]);
        // Keep the extremes in their original order so the stroke still walks forwards.
        int a = Math.Min(low, high), b = Math.Max(low, high);
        if (a != start) result.Add(points[a]);
        if (b != a && b != end - 1) result.Add(points[b]);
        result.Add(points[end - 1]);
    }
}
