using Athanor.Checkpoints;
using Athanor.Training;

namespace Athanor.Tests.Training;

/// <summary>What a run does with its output folder: save_only_model checkpoints, and an earlier run's checkpoints.</summary>
public class OutputFolderTests
{
    [Fact]
    public void AFreshStartOverAnEarlierRunsCheckpointsIsRefusedUnlessAskedFor()
    {
        using var temp = new TestPaths.TempFolder();
        var data = TinySetup.Data();
        var settings = TinySetup.Settings(temp.Path) with { MaxSteps = 4, SaveSteps = 2 };
        using (var model = TinySetup.Model()) new Trainer(model, null, data, settings).Run();
        var before = File.GetLastWriteTimeUtc(Path.Combine(temp.Path, "checkpoint-4", "model.safetensors"));

        using (var model = TinySetup.Model())
        {
            var ex = Assert.Throws<ArgumentException>(() => new Trainer(model, null, data, settings).Run());
            Assert.Contains($"output_dir {temp.Path} already holds checkpoints of an earlier run (checkpoint-2, checkpoint-4)", ex.Message);
            Assert.Contains("resume_from_checkpoint: auto", ex.Message);
            Assert.Contains("overwrite_output_dir: true", ex.Message);
        }
        Assert.Equal(before, File.GetLastWriteTimeUtc(Path.Combine(temp.Path, "checkpoint-4", "model.safetensors")));

        using (var model = TinySetup.Model())
            Assert.Equal(4, new Trainer(model, null, data, settings with { OverwriteOutputDir = true }).Run().Steps);
    }

    private sealed class Messages : ITrainingObserver
    {
        public List<string> Lines { get; } = [];
        public void OnMessage(string message) => Lines.Add(message);
    }

    [Fact]
    public void SaveOnlyModelCheckpointsHoldNoOptimizerStateAndAResumeStartsTheMomentsAgain()
    {
        using var temp = new TestPaths.TempFolder();
        var data = TinySetup.Data();
        var settings = TinySetup.Settings(temp.Path) with { MaxSteps = 8, SaveSteps = 4, SaveOnlyModel = true };
        using (var model = TinySetup.Model())
            new Trainer(model, null, data, settings with { MaxSteps = 4 }).Run();
        var checkpoint = Path.Combine(temp.Path, "checkpoint-4");
        Assert.True(File.Exists(Path.Combine(checkpoint, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(checkpoint, OptimizerState.LayoutFile)));
        Assert.Empty(Directory.GetFiles(checkpoint, "optimizer-*"));

        var messages = new Messages();
        TrainingResult result;
        using (var model = TinySetup.Model(seed: 77)) // the weights come from the checkpoint
            result = new Trainer(model, null, data, settings with { ResumeFrom = "auto" }, messages).Run();
        Assert.Equal(8, result.Steps);
        Assert.Contains(messages.Lines, l => l.Contains("holds no optimizer state (save_only_model)", StringComparison.Ordinal));
        Assert.True(result.LastLoss < result.FirstLoss, $"loss {result.FirstLoss} -> {result.LastLoss}");
    }
}
