using System.Text.Json.Nodes;
using Athanor.Checkpoints;
using Athanor.Training;

namespace Athanor.Tests.Training;

/// <summary>Checkpoints record the cluster job that wrote them; a job's "auto" resume takes only its own; resume hints suggest valid values.</summary>
public class CheckpointOwnershipTests
{
    [Fact]
    public void ATrainerRunOfAJobRecordsTheJobInItsCheckpointsAndResumesOnlyItsOwn()
    {
        using var temp = new TestPaths.TempFolder();
        var data = TinySetup.Data();
        var first = TinySetup.Settings(temp.Path) with { MaxSteps = 4, SaveSteps = 2, JobId = "job-a" };
        using (var model = TinySetup.Model()) new Trainer(model, null, data, first).Run();
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(temp.Path, "checkpoint-4", CheckpointManifest.FileName)))!;
        Assert.Equal("job-a", (string?)manifest["job_id"]);

        var store = new CheckpointStore(temp.Path);
        Assert.Equal(Path.Combine(temp.Path, "checkpoint-4"), store.Resolve("auto", "job-a"));
        Assert.Null(store.Resolve("auto", "job-b")); // job-a's weights are not job-b's to continue
        Assert.Equal(Path.Combine(temp.Path, "checkpoint-4"), store.Resolve("auto")); // outside the cluster: the newest, as before

        // job-b starting over there (overwrite_output_dir) trains from step 0 and its checkpoints become its own.
        var second = first with { JobId = "job-b", ResumeFrom = "auto", OverwriteOutputDir = true, MaxSteps = 2 };
        TrainingResult result;
        using (var model = TinySetup.Model()) result = new Trainer(model, null, data, second).Run();
        Assert.Equal(2, result.Steps);
        Assert.Equal(Path.Combine(temp.Path, "checkpoint-2"), store.Resolve("auto", "job-b"));
        Assert.Equal("job-b", store.CompleteWithOwners().Single(c => c.Step == 2).JobId);
    }

    [Theory]
    [InlineData(24, 8, 1, "e.g. gradient_accumulation_steps 3")]
    [InlineData(24, 8, 4, "e.g. per_device_train_batch_size 6 with gradient_accumulation_steps 1")]
    [InlineData(24, 8, 2, "e.g. per_device_train_batch_size 6 with gradient_accumulation_steps 2")]
    [InlineData(24, 1, 5, "world size 5 cannot split 24 samples; world sizes that can: 1, 2, 3, 4, 6, 8, 12, 24")]
    public void TheResumeHintSuggestsOnlyValuesThatKeepTheGlobalBatch(int saved, int micro, int world, string hint) =>
        Assert.Equal(hint, ResumeHint.KeepGlobalBatch(saved, micro, world));

    [Fact]
    public void AGlobalBatchMismatchNeverSuggestsZeroAccumulation()
    {
        // The case: saved at 4 samples a step, resumed with micro-batch 8: the old hint said "gradient_accumulation_steps 0".
        Assert.DoesNotContain("gradient_accumulation_steps 0", ResumeHint.KeepGlobalBatch(4, 8, 1));
        Assert.Equal("e.g. per_device_train_batch_size 4 with gradient_accumulation_steps 1", ResumeHint.KeepGlobalBatch(4, 8, 1));
    }
}
