using Athanor.Configuration;

namespace Athanor.Tests.Configuration;

/// <summary>LLaMA-Factory's own example configs load unchanged, with local folders set by --set.</summary>
public sealed class LlamaFactoryConfigTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _model;
    private readonly string _data;

    public LlamaFactoryConfigTests()
    {
        _model = _temp.Folder("models/qwen3");
        _data = _temp.Folder("data");
    }

    public void Dispose() => _temp.Dispose();

    private LoadedConfig LoadExample(string name) =>
        JobConfigLoader.Load(TestConfigs.DataPath(name), [$"model_name_or_path={_model}", $"dataset_dir={_data}"]);

    [Fact]
    public void QwenLoraSftLoadsWithLlamaFactoryValues()
    {
        var loaded = LoadExample("qwen3_lora_sft.yaml");
        var c = loaded.Config;

        Assert.Equal(_model, c.ModelNameOrPath);
        Assert.Equal(_data, c.DatasetDir);
        Assert.Equal(TrainingStage.Sft, c.Stage);
        Assert.True(c.DoTrain);
        Assert.Equal(FinetuningType.Lora, c.FinetuningType);
        Assert.Equal(8, c.LoraRank);
        Assert.Null(c.LoraAlpha);
        Assert.Equal(16, c.EffectiveLoraAlpha);
        Assert.Equal(2.0, c.LoraScaling);
        Assert.Equal("all", c.LoraTarget);
        Assert.Equal(JobConfig.LoraModuleNames, c.LoraTargetModules);
        Assert.Equal(0, c.ZeroStage);
        Assert.Null(c.Deepspeed);
        Assert.Equal("identity,alpaca_en_demo", c.Dataset);
        Assert.Equal(["identity", "alpaca_en_demo"], c.DatasetNames);
        Assert.Equal("qwen3_nothink", c.Template);
        Assert.Equal(2048, c.CutoffLen);
        Assert.Equal(1000, c.MaxSamples);
        Assert.Equal(16, c.PreprocessingNumWorkers);
        Assert.Equal(Path.GetFullPath("saves/qwen3-4b/lora/sft"), c.OutputDir);
        Assert.Equal("saves/qwen3-4b/lora/sft", loaded.RawPaths["output_dir"]);
        Assert.Equal(10, c.LoggingSteps);
        Assert.Equal(500, c.SaveSteps);
        Assert.True(c.PlotLoss);
        Assert.True(c.OverwriteOutputDir);
        Assert.False(c.SaveOnlyModel);
        Assert.Equal(1, c.PerDeviceTrainBatchSize);
        Assert.Equal(8, c.GradientAccumulationSteps);
        Assert.Equal(1e-4, c.LearningRate);
        Assert.Equal(3.0, c.NumTrainEpochs);
        Assert.Equal(-1, c.MaxSteps);
        Assert.Equal(LrSchedulerType.Cosine, c.LrSchedulerType);
        Assert.Equal(0.1, c.WarmupRatio);
        Assert.Equal(10, c.WarmupStepsFor(100));
        Assert.True(c.Bf16);
        Assert.Null(c.ResumeFromCheckpoint);
        Assert.Equal(EvalStrategy.No, c.EvalStrategy);
        Assert.Equal(8, c.GlobalBatchSize);
    }

    [Fact]
    public void QwenLoraSftReportsItsIgnoredKeysOnceInFileOrder()
    {
        var loaded = LoadExample("qwen3_lora_sft.yaml");

        // report_to: none asks for nothing, so it is not listed.
        Assert.Equal(["trust_remote_code", "dataloader_num_workers", "ddp_timeout"], loaded.IgnoredKeys.Select(k => k.Name));
        Assert.All(loaded.IgnoredKeys, k => Assert.False(string.IsNullOrWhiteSpace(k.Reason)));
    }

    [Fact]
    public void DeepSpeedZero3ConfigSetsZeroStage3FromTheFileName()
    {
        var c = LoadExample("qwen3_lora_sft_ds3.yaml").Config;

        Assert.Equal(3, c.ZeroStage);
        Assert.Equal("examples/deepspeed/ds_z3_config.json", c.Deepspeed);
        Assert.Equal(2, c.GradientAccumulationSteps);
        Assert.Equal(FinetuningType.Lora, c.FinetuningType);
    }

    [Fact]
    public void FullSftConfigIsFullFinetuningAtZero3()
    {
        var c = LoadExample("qwen3_full_sft.yaml").Config;

        Assert.Equal(FinetuningType.Full, c.FinetuningType);
        Assert.Equal(3, c.ZeroStage);
        Assert.Equal(1e-5, c.LearningRate);
        Assert.Equal(2, c.GradientAccumulationSteps);
        Assert.Equal(Path.GetFullPath("saves/qwen3-4b/full/sft"), c.OutputDir);
    }

    [Fact]
    public void WithoutOverridesTheHubModelIdIsKeptAsWritten()
    {
        var c = JobConfigLoader.Load(TestConfigs.DataPath("qwen3_lora_sft.yaml"), []).Config;

        // Not a local folder, so it stays a name (Athanor's model loader reports it as missing).
        Assert.Equal("Qwen/Qwen3-4B-Instruct-2507", c.ModelNameOrPath);
        Assert.Equal(Path.GetFullPath("data"), c.DatasetDir);
    }
}
