using Athanor.Configuration;

namespace Athanor.Tests.Configuration;

/// <summary>--set key=value overrides, typed by the same rules as the YAML file.</summary>
public class OverrideTests
{
    private static LoadedConfig Parse(string extra, params string[] overrides) =>
        JobConfigLoader.Parse(TestConfigs.Minimal(extra), "job.yaml", overrides, Path.GetTempPath());

    [Fact]
    public void OverridesReplaceFileValuesWithTyping()
    {
        var c = Parse("learning_rate: 1.0e-4\nbf16: false\n",
            "learning_rate=3e-5", "bf16=true", "lora_rank=16", "lr_scheduler_type=constant_with_warmup",
            "max_samples=null", "num_train_epochs=1").Config;

        Assert.Equal(3e-5, c.LearningRate);
        Assert.True(c.Bf16);
        Assert.Equal(16, c.LoraRank);
        Assert.Equal(LrSchedulerType.ConstantWithWarmup, c.LrSchedulerType);
        Assert.Null(c.MaxSamples);
        Assert.Equal(1.0, c.NumTrainEpochs);
    }

    [Fact]
    public void QuotedOverrideStaysAString()
    {
        Assert.Equal("null", Parse("", "template='null'").Config.Template);
        Assert.Equal("true", Parse("", "template=\"true\"").Config.Template);
    }

    [Fact]
    public void ValueMayContainEqualsSigns()
    {
        Assert.Equal("a=b", Parse("", "template=a=b").Config.Template);
    }

    [Fact]
    public void ListOverride()
    {
        Assert.Equal(["k_proj", "o_proj"], Parse("", "lora_target=[k_proj, o_proj]").Config.LoraTargetModules);
    }

    [Fact]
    public void LastOverrideOfAKeyWins()
    {
        Assert.Equal(7, Parse("", "seed=1", "seed=7").Config.Seed);
    }

    [Fact]
    public void OverrideCanClearDeepSpeed()
    {
        var c = Parse("deepspeed: ds_z3_config.json\n", "deepspeed=null", "zero_stage=1").Config;

        Assert.Null(c.Deepspeed);
        Assert.Equal(1, c.ZeroStage);
    }

    [Fact]
    public void OverrideCanFixAnInvalidFileValue()
    {
        Assert.Equal(5e-5, Parse("learning_rate: -1\n", "learning_rate=5e-5").Config.LearningRate);
    }

    [Fact]
    public void OverrideCanTurnOffAnIgnoredKeyReport()
    {
        var loaded = Parse("report_to: wandb\n", "report_to=none");

        Assert.Empty(loaded.IgnoredKeys);
    }
}
