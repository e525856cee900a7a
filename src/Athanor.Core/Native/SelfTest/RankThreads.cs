namespace Athanor.Native.SelfTest;

/// <summary>Runs one body per rank on its own thread (one per GPU) and gathers their results or failures.</summary>
internal static class RankThreads
{
    public static string[] Run(int world, Func<int, string> body, TimeSpan limit)
    {
        var results = new string[world];
        var errors = new Exception?[world];
        var threads = new Thread[world];
        for (int r = 0; r < world; r++)
        {
            int rank = r;
            threads[r] = new Thread(() =>
            {
                try { results[rank] = body(rank); }
                catch (Exception ex) { errors[rank] = ex; }
            }) { IsBackground = true, Name = $"selftest-rank-{rank}" };
            threads[r].Start();
        }
        var deadline = DateTime.UtcNow + limit;
        var hung = new List<int>();
        for (int r = 0; r < world; r++)
        {
            var left = deadline - DateTime.UtcNow;
            if (!threads[r].Join(left > TimeSpan.Zero ? left : TimeSpan.Zero)) hung.Add(r);
        }
        var problems = new List<string>();
        if (hung.Count > 0) problems.Add($"rank(s) {string.Join(", ", hung)} still running after {limit.TotalSeconds:F0} s (hang)");
        for (int r = 0; r < world; r++)
            if (errors[r] is Exception ex) problems.Add($"rank {r}: {ex.GetType().Name}: {ex.Message}");
        if (problems.Count > 0) throw new InvalidOperationException(string.Join(" | ", problems));
        return results;
    }
}
