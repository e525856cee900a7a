using System.Text.Json.Nodes;
using Athanor.Telemetry.TensorBoard;
using Athanor.Tests.Training;
using Athanor.Training;

namespace Athanor.Tests.Telemetry.TensorBoard;

/// <summary>A real tiny training run with report_to: tensorboard, read back with the test's own event reader.</summary>
public class TensorBoardTrainingTests
{
    private static List<JsonObject> Rows(string outputDir) =>
        File.ReadAllLines(Path.Combine(outputDir, MetricsLog.FileName)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    // (step, value) of one metrics.jsonl key, as the float TensorBoard stores.
    private static List<(long, float)> Series(IEnumerable<JsonObject> rows, string key) =>
        rows.Where(r => r.ContainsKey(key)).Select(r => ((long)r["step"]!.GetValue<int>(), (float)r[key]!.GetValue<double>())).ToList();

    private static List<(long, float)> Series(IEnumerable<(long Step, string Tag, float Value)> points, string tag) =>
        points.Where(p => p.Tag == tag).Select(p => (p.Step, p.Value)).ToList();

    private static void Run(string dir, string? resume = null, int stopAfter = 0)
    {
        using var model = TinySetup.Model();
        using var cancel = new CancellationTokenSource();
        var settings = TinySetup.Settings(dir) with { EvalSteps = 6, TensorBoardDir = Path.Combine(dir, "runs"), ResumeFrom = resume };
        new Trainer(model, null, TinySetup.Data(), settings, stopAfter > 0 ? new StopAfter(stopAfter, cancel) : null).Run(cancel.Token);
    }

    [Fact]
    public void EventFileHoldsEveryLoggedRowWithHuggingFaceTags()
    {
        using var temp = new TestPaths.TempFolder();
        Run(temp.Path);

        var file = Assert.Single(Directory.GetFiles(Path.Combine(temp.Path, "runs")));
        Assert.StartsWith(EventFileWriter.FilePrefix, Path.GetFileName(file));
        var events = TfEventReader.ReadFile(file);
        Assert.Equal(EventEncoder.FileVersion, events[0].FileVersion);
        Assert.Equal((1, (int?)1), (events[1].Step, events[1].SessionStatus)); // a fresh run starts at step 1
        var points = TfEventReader.MergedScalars(Path.Combine(temp.Path, "runs"));
        var rows = Rows(temp.Path);

        var losses = Series(points, "train/loss");
        Assert.Equal(12, losses.Count);
        Assert.Equal(Series(rows, "loss"), losses);
        Assert.Equal(Series(rows, "lr"), Series(points, "train/learning_rate"));
        Assert.Equal(Series(rows, "grad_norm"), Series(points, "train/grad_norm"));
        Assert.Equal(Series(rows, "epoch"), Series(points, "train/epoch"));
        Assert.Equal(Series(rows, "eval_loss"), Series(points, "eval/loss"));
        Assert.Equal([6L, 12L], Series(points, "eval/loss").Select(p => p.Item1));
    }

    [Fact]
    public void AResumedRunAddsAFileAndTensorBoardShowsTheCurveOfMetricsJsonl()
    {
        using var temp = new TestPaths.TempFolder();
        var dir = temp.Path;
        Run(dir, stopAfter: 6);
        Directory.Delete(Path.Combine(dir, "checkpoint-6"), recursive: true); // as in a crash after step 6: resume from 4
        var first = Assert.Single(Directory.GetFiles(Path.Combine(dir, "runs")));
        var firstBytes = File.ReadAllBytes(first);
        Assert.Equal(6, Series(TfEventReader.ReadFile(first).SelectMany(e => e.Scalars.Select(s => (e.Step, s.Tag, s.Value))), "train/loss").Count);

        Run(dir, resume: "auto");

        var files = Directory.GetFiles(Path.Combine(dir, "runs")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, files.Count);
        Assert.Equal(first, files[0]); // names sort in run order
        Assert.Equal(firstBytes, File.ReadAllBytes(first)); // never rewritten
        var resumed = TfEventReader.ReadFile(files[1]);
        Assert.Equal((5, (int?)1), (resumed[1].Step, resumed[1].SessionStatus)); // steps 5 and 6 of the first file are superseded

        var points = TfEventReader.MergedScalars(Path.Combine(dir, "runs"));
        var rows = Rows(dir);
        Assert.Equal(12, Series(rows, "loss").Count);
        Assert.Equal(Series(rows, "loss"), Series(points, "train/loss"));
        Assert.Equal(Series(rows, "eval_loss"), Series(points, "eval/loss"));
    }

    [Fact]
    public void WithoutAFolderNothingIsWritten()
    {
        using var temp = new TestPaths.TempFolder();
        using var model = TinySetup.Model();
        new Trainer(model, null, TinySetup.Data(), TinySetup.Settings(temp.Path) with { MaxSteps = 2 }).Run();

        Assert.False(Directory.Exists(Path.Combine(temp.Path, "runs")));
        Assert.Empty(Directory.GetFiles(temp.Path, "*tfevents*", SearchOption.AllDirectories));
    }
}
