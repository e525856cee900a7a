using Athanor.Configuration;

namespace Athanor.Tests.Configuration;

/// <summary>JobConfigWriter records the effective config; loading it back gives an equal config.</summary>
public sealed class WriterRoundTripTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private JobConfig RoundTrip(JobConfig config)
    {
        var path = _temp.File("effective.yaml", JobConfigWriter.ToYaml(config));
        return JobConfigLoader.Load(path, []).Config;
    }

    [Theory]
    [InlineData("qwen3_lora_sft.yaml")]
    [InlineData("qwen3_lora_sft_ds3.yaml")]
    [InlineData("qwen3_full_sft.yaml")]
    public void LlamaFactoryConfigsRoundTrip(string name)
    {
        var model = _temp.Folder("model");
        var original = JobConfigLoader.Load(TestConfigs.DataPath(name), [$"model_name_or_path={model}"]).Config;

        Assert.Equal(original, RoundTrip(original));
    }

    [Fact]
    public void EveryNonDefaultValueRoundTrips()
    {
        var original = new JobConfig
        {
            ModelNameOrPath = _temp.Folder("model"),
            AdapterNameOrPath = _temp.Folder("adapter"),
            Tokenizer = "byte",
            Init = WeightInit.Random,
            Stage = TrainingStage.Pt,
            DoTrain = true,
            FinetuningType = FinetuningType.Lora,
            LoraRank = 4,
            LoraAlpha = 12,
            LoraDropout = 0.05,
            LoraTarget = "q_proj,v_proj",
            UseRslora = true,
            ZeroStage = 2,
            WorldSize = 4,
            Device = "cuda:1",
            Threads = 3,
            Dataset = "c4_demo",
            EvalDataset = "identity",
            DatasetDir = _temp.Folder("data dir"),
            Template = "null",
            CutoffLen = 512,
            MaxSamples = 64,
            Packing = true,
            TrainOnPrompt = true,
            PreprocessingNumWorkers = 2,
            OnBadRecord = BadRecordPolicy.Skip,
            OutputDir = Path.Combine(_temp.Path, "it's out: here #1"),
            LoggingSteps = 1,
            SaveSteps = 7,
            SaveTotalLimit = 2,
            PlotLoss = true,
            OverwriteOutputDir = true,
            SaveOnlyModel = true,
            PerDeviceTrainBatchSize = 3,
            GradientAccumulationSteps = 5,
            LearningRate = 3.3e-7,
            NumTrainEpochs = 0.25,
            MaxSteps = 123,
            LrSchedulerType = LrSchedulerType.ConstantWithWarmup,
            WarmupRatio = 0.03,
            WarmupSteps = 9,
            WeightDecay = 0.1,
            MaxGradNorm = 0,
            AdamBeta1 = 0.8,
            AdamBeta2 = 0.95,
            AdamEpsilon = 1e-6,
            Bf16 = true,
            Seed = -5,
            ResumeFromCheckpoint = "auto",
            GradientCheckpointing = true,
            PerDeviceEvalBatchSize = 6,
            EvalStrategy = EvalStrategy.Epoch,
            EvalSteps = 11,
            EarlyStoppingSteps = 3,
        };
        JobConfigValidator.Validate(original);

        Assert.Equal(original, RoundTrip(original));
    }

    [Fact]
    public void WrittenYamlUsesSnakeCaseSectionsAndPyYamlFloats()
    {
        var yaml = JobConfigWriter.ToYaml(new JobConfig { ModelNameOrPath = "/m", OutputDir = "/o", Dataset = "d", Template = "true" });

        Assert.Contains("### train\n", yaml);
        Assert.Contains("\nlearning_rate: 5.0e-05\n", yaml);
        Assert.Contains("\nadam_epsilon: 1.0e-08\n", yaml);
        Assert.Contains("\nnum_train_epochs: 3.0\n", yaml);
        Assert.Contains("\nlr_scheduler_type: linear\n", yaml);
        Assert.Contains("\ntemplate: 'true'\n", yaml);
        Assert.Contains("\neval_steps: null\n", yaml);
        Assert.DoesNotContain("fp16", yaml);
    }

    [Fact]
    public void WriterEmitsEveryStoredProperty()
    {
        // Preference keys are written only for their stages and losses (issue 23): together they write every key.
        var writtenKeys = new[] { (TrainingStage.Sft, PreferenceLoss.Sigmoid), (TrainingStage.Dpo, PreferenceLoss.Sigmoid), (TrainingStage.Dpo, PreferenceLoss.Simpo), (TrainingStage.Kto, PreferenceLoss.Sigmoid) }
            .SelectMany(c => JobConfigWriter.ToYaml(new JobConfig { ModelNameOrPath = "/m", OutputDir = "/o", Stage = c.Item1, PrefLoss = c.Item2 }).Split('\n'))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l[..l.IndexOf(':')]).Distinct().Count();
        var storedProperties = typeof(JobConfig).GetProperties().Count(p => p.CanWrite);

        Assert.Equal(storedProperties, writtenKeys);
    }
}
