using Athanor.Checkpoints;
using Athanor.Lora;
using Athanor.Training;

namespace Athanor.Tests.Training;

public class ResumeTests
{
    private static void Run(string dir, bool lora, string? resume = null, CancellationTokenSource? cancel = null, int stopAfter = 0)
    {
        using var model = TinySetup.Model();
        LoraSettings? settings = lora ? new LoraSettings(4, 8, 0.1, LoraSettings.AllLinear) : null;
        if (settings is not null) LoraModel.Apply(model, settings);
        var trainer = new Trainer(model, settings, TinySetup.Data(), TinySetup.Settings(dir) with { ResumeFrom = resume },
            cancel is null ? null : new StopAfter(stopAfter, cancel));
        trainer.Run(cancel?.Token ?? default);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ResumedRunReproducesTheUninterruptedLossCurveExactly(bool lora)
    {
        using var temp = new TestPaths.TempFolder();
        var straight = temp.Sub("straight");
        Run(straight, lora);
        var expected = TrainingCurves.StepLosses(straight);
        Assert.Equal(12, expected.Count);

        // Interrupted after step 6; the step-6 save is then "lost" (as in a crash), so auto resumes from step 4.
        var interrupted = temp.Sub("interrupted");
        using (var cts = new CancellationTokenSource())
            Run(interrupted, lora, cancel: cts, stopAfter: 6);
        Directory.Delete(Path.Combine(interrupted, "checkpoint-6"), recursive: true);
        Assert.Equal(6, TrainingCurves.StepLosses(interrupted).Count);

        Run(interrupted, lora, resume: "auto");
        Assert.Equal(expected, TrainingCurves.StepLosses(interrupted));
    }

    [Fact]
    public void AFolderWithoutItsManifestIsNeverResumedFrom()
    {
        using var temp = new TestPaths.TempFolder();
        var dir = temp.Sub("run");
        using (var cts = new CancellationTokenSource())
            Run(dir, lora: false, cancel: cts, stopAfter: 8);
        var store = new CheckpointStore(dir);
        Assert.EndsWith("checkpoint-8", store.Latest());

        // A crash in the middle of writing checkpoint-8: its manifest never got written.
        File.Delete(Path.Combine(dir, "checkpoint-8", CheckpointManifest.FileName));
        Assert.EndsWith("checkpoint-4", store.Latest());

        // A file that does not match its manifest (torn write) also disqualifies a folder.
        var weights = Path.Combine(dir, "checkpoint-4", "model.safetensors");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..100]);
        Assert.Null(store.Latest());
        var ex = Assert.Throws<ArgumentException>(() => store.Resolve(Path.Combine(dir, "checkpoint-4")));
        Assert.Contains("model.safetensors", ex.Message);
    }

    [Fact]
    public void SaveTotalLimitKeepsTheNewestCheckpoints()
    {
        using var temp = new TestPaths.TempFolder();
        using var model = TinySetup.Model();
        new Trainer(model, null, TinySetup.Data(), TinySetup.Settings(temp.Path) with { SaveSteps = 2, SaveTotalLimit = 2 }).Run();
        var steps = new CheckpointStore(temp.Path).Complete().Select(c => c.Step).ToArray();
        Assert.Equal([10, 12], steps);
        Assert.Equal(2, Directory.GetDirectories(temp.Path, "checkpoint-*").Length);
    }
}
