using System.Text.Json.Nodes;
using Athanor.Training;

namespace Athanor.Tests.Training;

/// <summary>The logged training losses of a run, in step order, from its metrics.jsonl.</summary>
internal static class TrainingCurves
{
    public static List<double> Losses(string outputDir) =>
        File.ReadAllLines(Path.Combine(outputDir, MetricsLog.FileName))
            .Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(o => o.ContainsKey("loss"))
            .Select(o => o["loss"]!.GetValue<double>())
            .ToList();
}
