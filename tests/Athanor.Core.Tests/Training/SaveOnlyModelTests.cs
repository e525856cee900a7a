using Athanor.Checkpoints;
using Athanor.Training;

namespace Athanor.Tests.Training;

/// <summary>save_only_model: checkpoints without optimizer state, and what resuming from one does.</summary>
public class SaveOnlyModelTests
{
    private sealed class Messages : ITrainingObserver
    {
        public List<string> Lines { get; } = [];
        public void OnMessage(string message) => Lines.Add(message);
    }

    [Fact]
    public void CheckpointsHoldNoOptimizerStateAndAResumeStartsTheMomentsAgain()
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
