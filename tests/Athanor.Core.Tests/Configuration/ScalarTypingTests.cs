using Athanor.Configuration;

namespace Athanor.Tests.Configuration;

/// <summary>Scalars read as LLaMA-Factory reads them (PyYAML, then dataclass typing).</summary>
public class ScalarTypingTests
{
    private static JobConfig Parse(string extra, params string[] overrides) =>
        JobConfigLoader.Parse(TestConfigs.Minimal(extra), "job.yaml", overrides, Path.GetTempPath()).Config;

    [Theory]
    [InlineData("1.0e-5", 1e-5)]
    [InlineData("1e-5", 1e-5)] // a string to PyYAML, a number after LLaMA-Factory's typing
    [InlineData("1E-5", 1e-5)]
    [InlineData("0.0001", 1e-4)]
    [InlineData("'2e-4'", 2e-4)]
    [InlineData("+3", 3.0)]
    [InlineData("1_0", 10.0)]
    public void NumbersAcceptEveryPythonSpelling(string text, double expected)
    {
        Assert.Equal(expected, Parse($"learning_rate: {text}\n").LearningRate);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("yes", true)]
    [InlineData("on", true)]
    [InlineData("false", false)]
    [InlineData("NO", false)]
    [InlineData("off", false)]
    public void BooleansFollowYaml11(string text, bool expected)
    {
        Assert.Equal(expected, Parse($"bf16: {text}\n").Bf16);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("~")]
    [InlineData("")]
    [InlineData("NULL")]
    public void NullSpellingsClearNullableKeys(string text)
    {
        Assert.Null(Parse($"max_samples: {text}\n").MaxSamples);
    }

    [Fact]
    public void QuotedNullIsAString()
    {
        Assert.Equal("null", Parse("template: 'null'\n").Template);
        Assert.Equal("null", Parse("template: !!str null\n").Template);
    }

    [Fact]
    public void WholeNumbersMayBeWrittenAsFloats()
    {
        Assert.Equal(1000, Parse("max_samples: 1.0e3\n").MaxSamples);
    }

    [Theory]
    [InlineData("true", "auto")]
    [InlineData("auto", "auto")]
    [InlineData("false", null)]
    [InlineData("null", null)]
    public void ResumeTrueMeansAuto(string text, string? expected)
    {
        Assert.Equal(expected, Parse($"resume_from_checkpoint: {text}\n").ResumeFromCheckpoint);
    }

    [Fact]
    public void ListKeysAcceptYamlListsAndCommaText()
    {
        var fromList = Parse("lora_target: [q_proj, v_proj]\n");
        var fromText = Parse("lora_target: q_proj, v_proj\n");

        Assert.Equal("q_proj,v_proj", fromList.LoraTarget);
        Assert.Equal(["q_proj", "v_proj"], fromList.LoraTargetModules);
        Assert.Equal("q_proj,v_proj", fromText.LoraTarget);
        Assert.Equal(["q_proj", "v_proj"], fromText.LoraTargetModules);
    }

    [Fact]
    public void EvalStepsAloneSelectsStepsStrategy()
    {
        var c = Parse("val_size: 0.1\neval_steps: 50\n");

        Assert.Equal(EvalStrategy.Steps, c.EvalStrategy);
        Assert.Equal(50, c.EffectiveEvalSteps);
    }

    [Fact]
    public void ExplicitNoStrategyWinsOverEvalSteps()
    {
        var c = Parse("eval_strategy: 'no'\neval_steps: 50\n");

        Assert.Equal(EvalStrategy.No, c.EvalStrategy);
    }

    [Fact]
    public void UnquotedNoStrategyAlsoReadsAsNo()
    {
        // PyYAML reads a bare no as false; Hugging Face and Athanor both take it as the "no" strategy.
        Assert.Equal(EvalStrategy.No, Parse("eval_strategy: no\neval_steps: 50\n").EvalStrategy);
    }

    [Fact]
    public void ValSizeMayBeACount()
    {
        var c = Parse("val_size: 200\n");

        Assert.True(c.ValSizeIsCount);
        Assert.Equal(200, c.ValSize);
    }

    [Fact]
    public void WarmupStepsWinOverRatio()
    {
        var c = Parse("warmup_ratio: 0.5\nwarmup_steps: 7\n");

        Assert.Equal(7, c.WarmupStepsFor(1000));
    }

    [Fact]
    public void RsloraScalesBySquareRootOfRank()
    {
        var c = Parse("lora_rank: 16\nlora_alpha: 32\nuse_rslora: true\n");

        Assert.Equal(8.0, c.LoraScaling);
    }

    [Fact]
    public void ReportToOtherThanNoneIsListedAsIgnored()
    {
        var quiet = JobConfigLoader.Parse(TestConfigs.Minimal("report_to: none\n"), "job.yaml", [], Path.GetTempPath());
        var wandb = JobConfigLoader.Parse(TestConfigs.Minimal("report_to: wandb\n"), "job.yaml", [], Path.GetTempPath());

        Assert.Empty(quiet.IgnoredKeys);
        Assert.Equal("report_to", Assert.Single(wandb.IgnoredKeys).Name);
    }

    [Fact]
    public void IgnoredKeysMayHoldAnyValue()
    {
        var loaded = JobConfigLoader.Parse(TestConfigs.Minimal("ddp_timeout:\n  a: 1\n"), "job.yaml", [], Path.GetTempPath());

        Assert.Equal("ddp_timeout", Assert.Single(loaded.IgnoredKeys).Name);
    }
}
