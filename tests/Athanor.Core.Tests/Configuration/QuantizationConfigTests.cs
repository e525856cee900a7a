using Athanor.Configuration;

namespace Athanor.Tests.Configuration;

/// <summary>QLoRA's keys (issue 22): LLaMA-Factory's QLoRA examples load, and every other setting is a one-line error.</summary>
public sealed class QuantizationConfigTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _model;
    private readonly string _data;

    public QuantizationConfigTests()
    {
        _model = _temp.Folder("models/qwen3");
        _data = _temp.Folder("data");
    }

    public void Dispose() => _temp.Dispose();

    private LoadedConfig LoadExample(string name, params string[] more) =>
        JobConfigLoader.Load(TestConfigs.DataPath(name), [$"model_name_or_path={_model}", $"dataset_dir={_data}", .. more]);

    private static ConfigException Fails(string extra) =>
        Assert.Throws<ConfigException>(() => JobConfigLoader.Parse(TestConfigs.Minimal(extra), "job.yaml", [], Path.GetTempPath()));

    [Fact]
    public void TheOnTheFlyQloraExampleLoadsAsNf4WithDoubleQuantization()
    {
        var loaded = LoadExample("qwen3_lora_sft_otfq.yaml");
        var c = loaded.Config;
        Assert.Equal(4, c.QuantizationBit);
        Assert.True(c.IsQuantized);
        Assert.Equal("bnb", c.QuantizationMethod);
        Assert.Equal(QuantizationType.Nf4, c.QuantizationType);
        Assert.True(c.DoubleQuantization);
        Assert.Equal(FinetuningType.Lora, c.FinetuningType);
        Assert.Equal(_model, c.ModelNameOrPath);
        Assert.Equal(8, c.LoraRank);
        Assert.Equal(JobConfig.LoraModuleNames, c.LoraTargetModules);
        // Every other key of the file is one Athanor acts on or a listed ignored one.
        Assert.Equal(["trust_remote_code", "dataloader_num_workers", "ddp_timeout"], loaded.IgnoredKeys.Select(k => k.Name));
    }

    [Fact]
    public void TheFsdpQloraExampleLoadsWithTheDefaultMethod()
    {
        var loaded = LoadExample("llama3_fsdp_qlora_sft.yaml");
        var c = loaded.Config;
        Assert.Equal(4, c.QuantizationBit);
        Assert.Equal("bnb", c.QuantizationMethod);
        Assert.Equal(QuantizationType.Nf4, c.QuantizationType);
        Assert.Equal("llama3", c.Template);
        Assert.Equal(0, c.ZeroStage);
        Assert.Equal(["trust_remote_code", "overwrite_cache", "dataloader_num_workers", "ddp_timeout"], loaded.IgnoredKeys.Select(k => k.Name));
    }

    [Fact]
    public void Fp4WithoutDoubleQuantizationIsRead()
    {
        var c = JobConfigLoader.Parse(TestConfigs.Minimal("quantization_bit: 4\nquantization_type: FP4\ndouble_quantization: false\nquantization_method: bitsandbytes\n"),
            "job.yaml", [], Path.GetTempPath()).Config;
        Assert.Equal(QuantizationType.Fp4, c.QuantizationType);
        Assert.False(c.DoubleQuantization);
        Assert.Equal("bnb", c.QuantizationMethod);
    }

    [Fact]
    public void TheKeysRoundTripThroughTheWriter()
    {
        var c = JobConfigLoader.Parse(TestConfigs.Minimal("quantization_bit: 4\nquantization_type: fp4\ndouble_quantization: false\n"),
            "job.yaml", [], Path.GetTempPath()).Config;
        var again = JobConfigLoader.Parse(JobConfigWriter.ToYaml(c), "written.yaml", [], Path.GetTempPath()).Config;
        Assert.Equal(c, again);
        var plain = JobConfigLoader.Parse(TestConfigs.Minimal(), "job.yaml", [], Path.GetTempPath()).Config;
        Assert.Null(plain.QuantizationBit);
        Assert.False(plain.IsQuantized);
        Assert.Contains("quantization_bit: null", JobConfigWriter.ToYaml(plain));
    }

    [Fact]
    public void EightBitsIsNotSupportedYet()
    {
        var ex = Fails("quantization_bit: 8\n");
        Assert.Equal("job.yaml:4: quantization_bit: 8 (LLM.int8) is not supported yet; accepted: 4 (a 4-bit base under LoRA, QLoRA), or null for none", ex.Message);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    [InlineData("16")]
    public void OtherBitWidthsNameTheValueAndWhatIsAccepted(string bits)
    {
        var ex = Fails($"quantization_bit: {bits}\n");
        Assert.Equal($"job.yaml:4: quantization_bit: {bits} is not supported; accepted: 4 (a 4-bit base under LoRA, QLoRA), or null for none", ex.Message);
    }

    [Fact]
    public void FullFinetuningOfAFourBitBaseIsRefused()
    {
        var ex = Fails("finetuning_type: full\nquantization_bit: 4\n");
        Assert.StartsWith("job.yaml:5: quantization_bit: 4 needs finetuning_type: lora", ex.Message);
        Assert.Contains("quantization_bit: null for full fine-tuning", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void ZeroStage3WithAFourBitBaseIsAClearError()
    {
        var ex = Fails("quantization_bit: 4\nzero_stage: 3\n");
        Assert.StartsWith("job.yaml:4: quantization_bit: 4 with zero_stage 3 is not supported yet", ex.Message);
        Assert.Contains("accepted: zero_stage 0, 1 or 2", ex.Message);
    }

    [Theory]
    [InlineData("quantization_method: hqq\n", "job.yaml:4: quantization_method: 'hqq' is not supported yet; accepted: bnb (bitsandbytes' NF4/FP4 layout)")]
    [InlineData("quantization_method: gguf\n", "job.yaml:4: quantization_method: 'gguf' is not accepted; expected bnb (bitsandbytes' NF4/FP4 layout)")]
    [InlineData("quantization_type: int4\n", "job.yaml:4: quantization_type: 'int4' is not accepted; expected one of nf4 or fp4")]
    [InlineData("double_quantization: maybe\n", "job.yaml:4: double_quantization: 'maybe' is not true or false; expected true or false")]
    public void BadValuesAreOneLineErrors(string line, string expected)
    {
        Assert.Equal(expected, Fails(line).Message);
    }
}
