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

    /// <summary>"step:loss" of every logged loss, the loss written round-trip exact: two runs compare bit for bit.</summary>
    public static List<string> StepLosses(string outputDir) =>
        File.ReadAllLines(Path.Combine(outputDir, MetricsLog.FileName))
            .Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(o => o.ContainsKey("loss"))
            .Select(o => $"{o["step"]}:{o["loss"]!.GetValue<double>():R}")
            .ToList();
}
