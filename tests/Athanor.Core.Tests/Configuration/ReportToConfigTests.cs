using Athanor.Configuration;
using Athanor.Jobs;

namespace Athanor.Tests.Configuration;

/// <summary>report_to: tensorboard turns TensorBoard event files on; other trackers stay reported as ignored.</summary>
public class ReportToConfigTests
{
    private static LoadedConfig Parse(string extra, params string[] overrides) =>
        JobConfigLoader.Parse(TestConfigs.Minimal(extra), "job.yaml", overrides, Path.GetTempPath());

    private static ConfigException Fails(string extra) => Assert.Throws<ConfigException>(() => Parse(extra));

    [Theory]
    [InlineData("report_to: tensorboard\n")]
    [InlineData("report_to: [tensorboard]\n")]
    [InlineData("report_to:\n  - tensorboard\n")]
    [InlineData("report_to: all\n")]
    [InlineData("report_to: [none, TensorBoard]\n")]
    public void TensorBoardIsAcceptedAsAStringOrAListAndActedOn(string yaml)
    {
        var loaded = Parse(yaml);

        Assert.True(loaded.Config.ReportsToTensorBoard);
        Assert.Empty(loaded.IgnoredKeys);
        Assert.Equal(Path.Combine(Path.GetTempPath(), "out", "runs"), loaded.Config.TensorBoardDir);
    }

    [Theory]
    [InlineData("")]
    [InlineData("report_to: none\n")]
    [InlineData("report_to: [none]\n")]
    [InlineData("report_to: null\n")]
    public void NoneOrNothingAsksForNothing(string yaml)
    {
        var loaded = Parse(yaml);

        Assert.False(loaded.Config.ReportsToTensorBoard);
        Assert.Null(loaded.Config.ReportTo);
        Assert.Empty(loaded.IgnoredKeys);
    }

    [Fact]
    public void OtherTrackersAreReportedAsIgnoredNamingWhatIsAccepted()
    {
        var wandb = Parse("report_to: wandb\n");
        var both = Parse("report_to: [tensorboard, wandb, mlflow]\n");

        Assert.False(wandb.Config.ReportsToTensorBoard);
        var note = Assert.Single(wandb.IgnoredKeys);
        Assert.Equal("report_to", note.Name);
        Assert.Contains("wandb", note.Reason);
        Assert.Contains("report_to: tensorboard", note.Reason);

        Assert.True(both.Config.ReportsToTensorBoard);
        var partial = Assert.Single(both.IgnoredKeys);
        Assert.Contains("wandb, mlflow", partial.Reason);
        Assert.DoesNotContain("tensorboard,", partial.Reason);
    }

    [Fact]
    public void AnOverrideCanTurnTensorBoardOn()
    {
        var loaded = Parse("report_to: wandb\n", "report_to=tensorboard");

        Assert.True(loaded.Config.ReportsToTensorBoard);
        Assert.Empty(loaded.IgnoredKeys);
    }

    [Fact]
    public void AMistypedTrackerIsAnErrorWithASuggestion()
    {
        var ex = Fails("report_to: tensorbord\n");

        Assert.Equal("job.yaml:4: report_to: 'tensorbord' is not a tracker (did you mean tensorboard?); expected " +
            "tensorboard, none, all, or a list such as [tensorboard, wandb] (trackers other than tensorboard are ignored)", ex.Message);
    }

    [Fact]
    public void LoggingDirIsResolvedAndReplacesTheDefault()
    {
        var loaded = Parse("report_to: tensorboard\nlogging_dir: tb/run1\n");

        Assert.Equal(Path.Combine(Path.GetTempPath(), "tb", "run1"), loaded.Config.LoggingDir);
        Assert.Equal(loaded.Config.LoggingDir, loaded.Config.TensorBoardDir);
        Assert.Equal("tb/run1", loaded.RawPaths["logging_dir"]);
    }

    [Fact]
    public void ALoggingDirThatIsNotOneFolderIsAClearError()
    {
        var list = Fails("logging_dir: [a, b]\n");
        var mapping = Fails("logging_dir:\n  path: a\n");
        var blank = Fails("logging_dir: ''\n");

        Assert.Equal("job.yaml:4: logging_dir: the list [a, b] is not accepted; expected a folder for TensorBoard event files, or null for OUTPUT_DIR/runs", list.Message);
        Assert.Equal("job.yaml:4: logging_dir: a mapping or nested list is not accepted; expected a folder for TensorBoard event files, or null for OUTPUT_DIR/runs", mapping.Message);
        Assert.Equal("logging_dir", blank.Key);
        Assert.Contains("is missing or empty", blank.Message);
    }

    [Fact]
    public void TheTrainerGetsAFolderOnlyWhenTensorBoardIsAskedFor()
    {
        var on = Parse("report_to: tensorboard\n").Config;
        var custom = Parse("report_to: [tensorboard]\nlogging_dir: /tmp/tb-x\n").Config;
        var off = Parse("report_to: wandb\nlogging_dir: /tmp/tb-x\n").Config;

        Assert.Equal(Path.Combine(on.OutputDir, "runs"), JobPreparation.MapSettings(on, 100, 1, 0).TensorBoardDir);
        Assert.Equal("/tmp/tb-x", JobPreparation.MapSettings(custom, 100, 1, 0).TensorBoardDir);
        Assert.Null(JobPreparation.MapSettings(off, 100, 1, 0).TensorBoardDir);
    }

    [Fact]
    public void TheEffectiveConfigRoundTrips()
    {
        var original = Parse("report_to: [tensorboard, wandb]\nlogging_dir: /tmp/tb-x\n").Config;

        var back = JobConfigLoader.Parse(JobConfigWriter.ToYaml(original), "effective.yaml", [], Path.GetTempPath());

        Assert.Equal(original, back.Config);
        Assert.Equal("tensorboard,wandb", back.Config.ReportTo);
    }
}
