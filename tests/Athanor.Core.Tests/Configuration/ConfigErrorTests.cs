using Athanor.Configuration;

namespace Athanor.Tests.Configuration;

/// <summary>Bad input: one line naming the source, the line, the key, the bad value and what is accepted.</summary>
public class ConfigErrorTests
{
    private static ConfigException Fails(string yaml, params string[] overrides) =>
        Assert.Throws<ConfigException>(() => JobConfigLoader.Parse(yaml, "job.yaml", overrides, Path.GetTempPath()));

    private static void AssertOneLine(ConfigException ex) => Assert.DoesNotContain('\n', ex.Message);

    [Fact]
    public void NonNumberNamesFileLineKeyValueAndExpectation()
    {
        var ex = Fails(TestConfigs.Minimal("learning_rate: banana\n"));

        Assert.Equal("job.yaml:4: learning_rate: 'banana' is not a number; expected a positive number such as 1e-4", ex.Message);
        Assert.Equal("job.yaml", ex.SourceName);
        Assert.Equal(4, ex.Line);
        Assert.Equal("learning_rate", ex.Key);
    }

    [Fact]
    public void UnknownKeySuggestsTheClosestKnownKey()
    {
        var ex = Fails(TestConfigs.Minimal("learnig_rate: 1.0e-4\n"));

        Assert.Equal("job.yaml:4: learnig_rate: unknown key; did you mean learning_rate?", ex.Message);
    }

    [Theory]
    [InlineData("num_train_epoch", "num_train_epochs")]
    [InlineData("lora_rnak", "lora_rank")]
    [InlineData("Learning_Rate", "learning_rate")]
    [InlineData("trust_remote_cod", "trust_remote_code")]
    public void SuggestionsCoverTyposSwapsCaseAndIgnoredKeys(string typo, string expected)
    {
        var ex = Fails(TestConfigs.Minimal($"{typo}: 1\n"));

        Assert.EndsWith($"unknown key; did you mean {expected}?", ex.Message);
    }

    [Fact]
    public void UnknownKeyFarFromAnyKnownKeyPointsToTheDocs()
    {
        var ex = Fails(TestConfigs.Minimal("neftune_noise_alpha: 5\n"));

        Assert.Equal("job.yaml:4: neftune_noise_alpha: unknown key; docs/configuration.md lists the keys Athanor accepts", ex.Message);
    }

    [Fact]
    public void EnumErrorListsTheAcceptedValues()
    {
        var ex = Fails(TestConfigs.Minimal("lr_scheduler_type: cosin\n"));

        Assert.Equal("job.yaml:4: lr_scheduler_type: 'cosin' is not accepted; expected one of linear, cosine, constant or constant_with_warmup", ex.Message);
    }

    [Fact]
    public void UnsupportedStageIsAnEnumError()
    {
        var ex = Fails(TestConfigs.Minimal("stage: ppo\n"));

        Assert.Equal("job.yaml:4: stage: 'ppo' is not accepted; expected one of sft, pt, dpo or kto", ex.Message);
    }

    [Theory]
    [InlineData("learning_rate: 0", "learning_rate: 0.0 is out of range; expected a positive number such as 1e-4")]
    [InlineData("lora_rank: 0", "lora_rank: 0 is out of range; expected a whole number >= 1 such as 8")]
    [InlineData("per_device_train_batch_size: 0", "per_device_train_batch_size: 0 is out of range; expected a whole number in [1, 65536]")]
    [InlineData("warmup_ratio: 1.5", "warmup_ratio: 1.5 is out of range; expected a number in [0, 1] such as 0.1")]
    [InlineData("val_size: -0.1", "val_size: -0.1 is out of range; expected a fraction in [0, 1) such as 0.1, or a whole sample count >= 1")]
    [InlineData("val_size: 2.5", "val_size: 2.5 is out of range; expected a fraction in [0, 1) such as 0.1, or a whole sample count >= 1")]
    [InlineData("cutoff_len: 0", "cutoff_len: 0 is out of range; expected a whole number in [1, 1048576] such as 2048")]
    [InlineData("zero_stage: 4", "zero_stage: 4 is out of range; expected 0, 1, 2 or 3")]
    [InlineData("offload_optimizer: true\nzero_stage: 2", "offload_optimizer: true needs zero_stage 3 (this job has zero_stage 2); accepted: offload_optimizer: true with zero_stage: 3, or offload_optimizer: false")]
    [InlineData("save_steps: 0", "save_steps: 0 is out of range; expected a whole number >= 1")]
    [InlineData("gradient_checkpointing_every: 0", "gradient_checkpointing_every: 0 is out of range; expected a whole number >= 1 (1: every decoder layer, k: every k-th)")]
    [InlineData("max_steps: 0", "max_steps: 0 is out of range; expected -1 (train for num_train_epochs) or a whole number >= 1")]
    [InlineData("adam_beta2: 1", "adam_beta2: 1.0 is out of range; expected a number in [0, 1) such as 0.999")]
    public void RangeErrorsNameTheValueAndTheRange(string line, string expectedTail)
    {
        var ex = Fails(TestConfigs.Minimal(line + "\n"));

        Assert.Equal("job.yaml:4: " + expectedTail, ex.Message);
    }

    [Theory]
    [InlineData("lora_rank: 8.5", "lora_rank: '8.5' is not a whole number; expected a whole number >= 1 such as 8")]
    [InlineData("bf16: maybe", "bf16: 'maybe' is not true or false; expected true or false")]
    [InlineData("learning_rate: null", "learning_rate: null is not allowed; expected a positive number such as 1e-4")]
    [InlineData("learning_rate: 1e999", "learning_rate: '1e999' is not a finite number; expected a positive number such as 1e-4")]
    [InlineData("learning_rate: [1, 2]", "learning_rate: the list [1, 2] is not accepted; expected a positive number such as 1e-4")]
    [InlineData("template: {a: 1}", "template: a mapping or nested list is not accepted; expected a chat template name such as qwen3_nothink")]
    [InlineData("device: gpu", "device: 'gpu' is not accepted; expected cpu, cuda or cuda:N")]
    [InlineData("lora_target: q_proj,qkv", "lora_target: 'qkv' is not a module LoRA can wrap; expected all, or a comma list of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj")]
    [InlineData("fp16: true", "fp16: fp16 is not supported; use bf16: true (or neither, for float32)")]
    public void TypeErrorsQuoteTheValue(string line, string expectedTail)
    {
        var ex = Fails(TestConfigs.Minimal(line + "\n"));

        Assert.Equal("job.yaml:4: " + expectedTail, ex.Message);
    }

    [Fact]
    public void YamlSyntaxErrorGivesLineAndColumn()
    {
        var ex = Fails("model_name_or_path: m\noutput_dir: out\nlearning_rate: [1.0e-4\nseed: 3\n");

        Assert.StartsWith("job.yaml:3: YAML syntax error", ex.Message);
        Assert.Equal(3, ex.Line);
        Assert.DoesNotContain("(Line:", ex.Message);
        AssertOneLine(ex);
    }

    [Fact]
    public void MissingColonIsASyntaxErrorOnItsLine()
    {
        var ex = Fails("model_name_or_path: m\noutput_dir: out\nlearning_rate 1.0e-4\nseed: 3\n");

        Assert.Equal(3, ex.Line);
        Assert.Contains("YAML syntax error at column", ex.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n\n")]
    [InlineData("---\n")]
    public void EmptyFileIsAnError(string yaml)
    {
        var ex = Fails(yaml);

        Assert.Equal("job.yaml: the file is empty; expected a mapping of key: value such as model_name_or_path: ./model", ex.Message);
    }

    [Fact]
    public void TopLevelListIsAnError()
    {
        var ex = Fails("- model_name_or_path: m\n- output_dir: out\n");

        Assert.Equal("job.yaml:1: the top level is a list, not a mapping; expected lines of key: value", ex.Message);
    }

    [Fact]
    public void TopLevelTextIsAnError()
    {
        var ex = Fails("just some words\n");

        Assert.Equal("job.yaml:1: the top level is the text 'just some words', not a mapping; expected lines of key: value", ex.Message);
    }

    [Fact]
    public void DuplicateKeyNamesBothLines()
    {
        var ex = Fails(TestConfigs.Minimal("seed: 1\nseed: 2\n"));

        Assert.Equal("job.yaml:5: seed: appears twice (first on line 4); keep one", ex.Message);
    }

    [Fact]
    public void SecondDocumentIsAnError()
    {
        var ex = Fails(TestConfigs.Minimal("---\nseed: 2\n"));

        Assert.Equal(4, ex.Line);
        Assert.Contains("more than one YAML document", ex.Message);
    }

    [Fact]
    public void AliasIsAnError()
    {
        var ex = Fails(TestConfigs.Minimal("seed: &s 1\nlogging_steps: *s\n"));

        Assert.Equal("job.yaml:5: logging_steps: YAML aliases (*s) are not supported; write the value out", ex.Message);
    }

    [Fact]
    public void MissingRequiredKeysAreNamed()
    {
        var noModel = Fails("dataset: d\noutput_dir: out\n");
        var noOutput = Fails("model_name_or_path: m\ndataset: d\n");

        Assert.StartsWith("job.yaml: model_name_or_path: is missing or empty; expected a model folder", noModel.Message);
        Assert.StartsWith("job.yaml: output_dir: is missing or empty; expected a folder", noOutput.Message);
    }

    [Fact]
    public void DatasetIsRequiredOnlyWhenTraining()
    {
        var ex = Fails("model_name_or_path: m\noutput_dir: out\n");
        var config = JobConfigLoader.Parse("model_name_or_path: m\noutput_dir: out\ndo_train: false\n", "job.yaml", [], Path.GetTempPath()).Config;

        Assert.Equal("job.yaml: dataset: is required when do_train is true; expected a comma list of dataset names from dataset_info.json", ex.Message);
        Assert.False(config.DoTrain);
    }

    [Fact]
    public void EvaluationWithoutDataIsAnError()
    {
        var ex = Fails(TestConfigs.Minimal("eval_strategy: steps\n"));

        Assert.Equal("job.yaml:4: eval_strategy: is 'steps' but there is nothing to evaluate on; set eval_dataset or val_size", ex.Message);
    }

    [Fact]
    public void EarlyStoppingWithoutEvaluationIsAnError()
    {
        var ex = Fails(TestConfigs.Minimal("early_stopping_steps: 3\n"));

        Assert.StartsWith("job.yaml:4: early_stopping_steps: needs evaluations", ex.Message);
    }

    [Fact]
    public void ValSizeWithEvalDatasetIsAnError()
    {
        var ex = Fails(TestConfigs.Minimal("eval_dataset: identity\nval_size: 0.1\n"));

        Assert.StartsWith("job.yaml:5: val_size: cannot be used together with eval_dataset", ex.Message);
    }

    [Fact]
    public void DeepSpeedPathThatSaysNoStageIsAnError()
    {
        var ex = Fails(TestConfigs.Minimal("deepspeed: configs/my_deepspeed.json\n"));

        Assert.StartsWith("job.yaml:4: deepspeed: 'configs/my_deepspeed.json' does not exist and its name does not give the ZeRO stage", ex.Message);
    }

    [Fact]
    public void ZeroStageThatContradictsDeepSpeedIsAnError()
    {
        var ex = Fails(TestConfigs.Minimal("deepspeed: ds_z3_config.json\nzero_stage: 1\n"));

        Assert.Equal("job.yaml:5: zero_stage: 1 disagrees with deepspeed 'ds_z3_config.json' (ZeRO stage 3); keep one, e.g. --set deepspeed=null", ex.Message);
    }

    [Theory]
    [InlineData("foo", "--set: 'foo' is not key=value; expected for example --set learning_rate=1e-4")]
    [InlineData("=3", "--set: '=3' has no key before '='; expected for example --set learning_rate=1e-4")]
    public void MalformedOverrideIsNamed(string bad, string expected)
    {
        var ex = Fails(TestConfigs.Minimal(), bad);

        Assert.Equal(expected, ex.Message);
    }

    [Fact]
    public void OverrideErrorsNameTheSetSource()
    {
        var ex = Fails(TestConfigs.Minimal(), "learning_rate=banana");

        Assert.Equal("--set: learning_rate: 'banana' is not a number; expected a positive number such as 1e-4", ex.Message);
        Assert.Null(ex.Line);
    }

    [Fact]
    public void UnknownOverrideKeySuggests()
    {
        var ex = Fails(TestConfigs.Minimal(), "gradient_accumulation=4");

        Assert.Equal("--set: gradient_accumulation: unknown key; did you mean gradient_accumulation_steps?", ex.Message);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        var path = Path.Combine(Path.GetTempPath(), "athanor-no-such-" + Guid.NewGuid().ToString("N") + ".yaml");

        var ex = Assert.Throws<ConfigException>(() => JobConfigLoader.Load(path, []));

        Assert.Equal($"{path}: the file does not exist", ex.Message);
    }

    [Fact]
    public void MultiLineValuesStillGiveOneLineMessages()
    {
        var ex = Fails(TestConfigs.Minimal("learning_rate: |\n  not\n  a number\n"));

        AssertOneLine(ex);
        Assert.StartsWith("job.yaml:4: learning_rate: 'not a number ' is not a number", ex.Message);
    }

    [Fact]
    public void CodeBuiltConfigsAreValidatedWithTheirSourceName()
    {
        var config = new JobConfig { ModelNameOrPath = "m", OutputDir = "o", Dataset = "d", LoraRank = 0 };

        var ex = Assert.Throws<ConfigException>(() => JobConfigValidator.Validate(config, "demo"));

        Assert.Equal("demo: lora_rank: 0 is out of range; expected a whole number >= 1 such as 8", ex.Message);
    }
}
