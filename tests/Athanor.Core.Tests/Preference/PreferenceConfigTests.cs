using Athanor.Configuration;
using Athanor.Tests.Configuration;

namespace Athanor.Tests.Preference;

/// <summary>Issue 23's keys: LLaMA-Factory's DPO and KTO examples load unchanged; keys of another stage are errors.</summary>
public sealed class PreferenceConfigTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _model;

    public PreferenceConfigTests() => _model = _temp.Folder("models/qwen3");

    public void Dispose() => _temp.Dispose();

    private static JobConfig Parse(string extra, params string[] overrides) =>
        JobConfigLoader.Parse(TestConfigs.Minimal(extra), "job.yaml", overrides, Path.GetTempPath()).Config;

    private static string Error(string extra, params string[] overrides) =>
        Assert.Throws<ConfigException>(() => Parse(extra, overrides)).Message;

    [Fact]
    public void QwenLoraDpoExampleLoadsWithOnlyTheModelChanged()
    {
        var c = JobConfigLoader.Load(TestConfigs.DataPath("qwen3_lora_dpo.yaml"), [$"model_name_or_path={_model}"]).Config;
        Assert.Equal(TrainingStage.Dpo, c.Stage);
        Assert.Equal(PreferenceLoss.Sigmoid, c.PrefLoss);
        Assert.Equal(0.1, c.PrefBeta);
        Assert.Equal(0.0, c.PrefFtx);
        Assert.Equal("dpo_en_demo", c.Dataset);
        Assert.Equal(5e-6, c.LearningRate);
        Assert.True(c.UsesReferenceModel);
    }

    [Fact]
    public void QwenLoraKtoExampleLoadsWithOnlyTheModelChanged()
    {
        var c = JobConfigLoader.Load(TestConfigs.DataPath("qwen3_lora_kto.yaml"), [$"model_name_or_path={_model}"]).Config;
        Assert.Equal(TrainingStage.Kto, c.Stage);
        Assert.Equal(0.1, c.PrefBeta);
        Assert.Equal(1.0, c.KtoChosenWeight);
        Assert.Equal(1.0, c.KtoRejectedWeight);
        Assert.Equal("kto_en_demo", c.Dataset);
    }

    [Fact]
    public void DefaultsAreLlamaFactorys()
    {
        var c = Parse("stage: dpo\n");
        Assert.Equal((PreferenceLoss.Sigmoid, 0.1, 0.0, 0.5, 0.0, 1.0, 1.0),
            (c.PrefLoss, c.PrefBeta, c.PrefFtx, c.SimpoGamma, c.DpoLabelSmoothing, c.KtoChosenWeight, c.KtoRejectedWeight));
    }

    [Theory]
    [InlineData("sigmoid", PreferenceLoss.Sigmoid, true)]
    [InlineData("hinge", PreferenceLoss.Hinge, true)]
    [InlineData("ipo", PreferenceLoss.Ipo, true)]
    [InlineData("orpo", PreferenceLoss.Orpo, false)]
    [InlineData("simpo", PreferenceLoss.Simpo, false)]
    public void EachLossReadsAndSaysWhetherItNeedsAReference(string text, PreferenceLoss loss, bool reference)
    {
        var c = Parse($"stage: dpo\npref_loss: {text}\n");
        Assert.Equal(loss, c.PrefLoss);
        Assert.Equal(reference, c.UsesReferenceModel);
    }

    [Theory]
    [InlineData("stage: rm\n", "stage: 'rm' is not accepted; expected one of sft, pt, dpo or kto")]
    [InlineData("stage: dpo\npref_loss: kto_pair\n", "pref_loss: 'kto_pair' is not accepted; expected one of sigmoid, hinge, ipo, orpo or simpo")]
    [InlineData("stage: dpo\npref_beta: 0\n", "pref_beta: 0.0 is out of range; expected a number > 0 such as 0.1")]
    [InlineData("stage: dpo\ndpo_label_smoothing: 0.6\n", "dpo_label_smoothing: 0.6 is out of range; expected a number in [0, 0.5]")]
    [InlineData("stage: kto\nkto_rejected_weight: -1\n", "kto_rejected_weight: -1.0 is out of range; expected a number > 0")]
    [InlineData("pref_beta: 0.2\n", "pref_beta: belongs to stage dpo or kto; this job has stage sft")]
    [InlineData("stage: pt\npref_loss: sigmoid\n", "pref_loss: belongs to stage dpo; this job has stage pt")]
    [InlineData("stage: dpo\nkto_chosen_weight: 2\n", "kto_chosen_weight: belongs to stage kto; this job has stage dpo")]
    [InlineData("stage: kto\nsimpo_gamma: 1\n", "simpo_gamma: belongs to stage dpo; this job has stage kto")]
    [InlineData("stage: kto\npref_loss: orpo\n", "pref_loss: belongs to stage dpo; this job has stage kto")]
    [InlineData("stage: dpo\nsimpo_gamma: 1\n", "simpo_gamma: is SimPO's margin; this job has pref_loss sigmoid")]
    [InlineData("stage: dpo\npref_loss: ipo\ndpo_label_smoothing: 0.1\n", "dpo_label_smoothing: applies to pref_loss sigmoid only")]
    [InlineData("stage: dpo\npacking: true\n", "packing: true is not accepted with stage dpo")]
    public void BadValuesAndKeysOfAnotherStageAreOneLineErrors(string extra, string expected)
    {
        var message = Error(extra);
        Assert.Contains(expected, message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void AnOverrideOfAnotherStagesKeyIsAnErrorToo() =>
        Assert.Contains("kto_chosen_weight: belongs to stage kto", Error("stage: dpo\n", "kto_chosen_weight=2"));

    [Fact]
    public void TheWrittenConfigCarriesOnlyTheStagesKeysAndReadsBackEqual()
    {
        var sft = Parse("");
        Assert.DoesNotContain("pref_", JobConfigWriter.ToYaml(sft));

        var dpo = Parse("stage: dpo\npref_loss: simpo\npref_beta: 2.5\nsimpo_gamma: 1.2\npref_ftx: 0.3\n");
        var yaml = JobConfigWriter.ToYaml(dpo);
        Assert.Contains("pref_loss: simpo", yaml);
        Assert.DoesNotContain("kto_", yaml);
        var back = JobConfigLoader.Parse(yaml, "athanor_config.yaml", [], Path.GetTempPath()).Config;
        Assert.Equal(dpo, back);

        // The default loss (sigmoid) writes neither simpo_gamma nor anything another loss would refuse.
        var sigmoid = Parse("stage: dpo\ndpo_label_smoothing: 0.1\n");
        var sigmoidYaml = JobConfigWriter.ToYaml(sigmoid);
        Assert.DoesNotContain("simpo_gamma", sigmoidYaml);
        Assert.Contains("dpo_label_smoothing: 0.1", sigmoidYaml);
        Assert.Equal(sigmoid, JobConfigLoader.Parse(sigmoidYaml, "athanor_config.yaml", [], Path.GetTempPath()).Config);

        var kto = Parse("stage: kto\nkto_rejected_weight: 1.5\n");
        var ktoYaml = JobConfigWriter.ToYaml(kto);
        Assert.DoesNotContain("pref_loss", ktoYaml);
        Assert.Equal(kto, JobConfigLoader.Parse(ktoYaml, "athanor_config.yaml", [], Path.GetTempPath()).Config);
    }
}
