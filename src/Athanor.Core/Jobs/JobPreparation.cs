using Athanor.Checkpoints;
using Athanor.Configuration;
using Athanor.Data;
using Athanor.Data.Pipeline;
using Athanor.Kernels;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Native;
using Athanor.Parallel.Sharding;
using Athanor.Quantization;
using Athanor.Templates;
using Athanor.Tokenization;
using Athanor.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Jobs;

/// <summary>
/// From a validated job config to a ready run: tokenizer, template, datasets, model and adapters, each
/// step reported through log and each failure a one-line error that names what to change.
/// </summary>
public static class JobPreparation
{
    /// <summary>Everything ranks share: the model's shape, the tokenizer and the tokenized data (built once) with its cache key.</summary>
    public sealed record SharedInputs(ModelConfig ModelConfig, ITokenizer Tokenizer, TrainingData Data, string DataKey);

    /// <summary>A single-process run (world size 1).</summary>
    public static PreparedJob Prepare(JobConfig config, Action<string> log)
    {
        config = PinResume(config);
        var inputs = PrepareInputs(config, log);
        var (model, lora, deferred) = BuildModel(config, inputs.ModelConfig, log);
        return new PreparedJob(config, inputs.Tokenizer, model, lora, inputs.Data, MapSettings(config, inputs.Data.Train.Count, worldSize: 1, config.ZeroStage), deferred);
    }

    /// <summary>
    /// The job with resume_from_checkpoint pinned to the folder it will resume from ("auto" resolved now, null when
    /// there is none), so the model is built knowing it and the trainer then loads that very folder.
    /// </summary>
    /// <param name="jobId">a cluster job: "auto" takes only its own checkpoints</param>
    public static JobConfig PinResume(JobConfig config, string? jobId = null) =>
        config.ResumeFromCheckpoint is null ? config
            : config with { ResumeFromCheckpoint = new CheckpointStore(config.OutputDir).Resolve(config.ResumeFromCheckpoint, jobId) };

    /// <summary>
    /// The checkpoint a full fine-tune pinned by <see cref="PinResume"/> takes every weight from (the trainer loads them
    /// strictly: a missing tensor is an error), so the base weights need not be read or drawn first; null otherwise.
    /// </summary>
    private static string? WeightsFromCheckpoint(JobConfig config) =>
        config.FinetuningType == FinetuningType.Full && config.ResumeFromCheckpoint is { } folder && folder != "auto" ? folder : null;

    /// <summary>The cheap checks of a job (settings, model folder, tokenizer, weights), before any worker starts.</summary>
    public static void Preflight(JobConfig config)
    {
        CheckRunnable(config);
        QuantizedJobModel.Check(config); // QLoRA (issue 22): a pre-quantized folder needs quantization_bit: 4
        var modelConfig = ModelConfig.Load(config.ModelNameOrPath);
        var tokenizer = LoadTokenizer(config);
        if (tokenizer.VocabSize > modelConfig.VocabSize)
            throw new JobException($"tokenizer has {tokenizer.VocabSize} tokens but {config.ModelNameOrPath}/config.json has vocab_size {modelConfig.VocabSize}: they are not from the same model");
        if (config.Init == WeightInit.Pretrained && !ModelWeights.HasWeights(config.ModelNameOrPath))
            throw new JobException($"{config.ModelNameOrPath}: no model.safetensors or model.safetensors.index.json; add the weights, or set init: random to train from scratch");
        TrainingEvalHook.Tasks(config);
        if (config.EvalPrompts is string prompts && !File.Exists(prompts))
            throw new JobException($"eval_prompts: '{prompts}' does not exist");
    }

    /// <param name="worldSize">the ranks the job runs on now (the memory check on GPUs depends on it)</param>
    public static SharedInputs PrepareInputs(JobConfig config, Action<string> log, int worldSize = 1)
    {
        CheckRunnable(config);
        QuantizedJobModel.Check(config); // QLoRA (issue 22)
        if (config.Device == "cpu" && config.Bf16) log("bf16: true is a GPU setting; on CPU Athanor trains in fp32");

        var modelConfig = ModelConfig.Load(config.ModelNameOrPath);
        var tokenizer = LoadTokenizer(config);
        if (tokenizer.VocabSize > modelConfig.VocabSize)
            throw new JobException($"tokenizer has {tokenizer.VocabSize} tokens but {config.ModelNameOrPath}/config.json has vocab_size {modelConfig.VocabSize}: they are not from the same model");
        log($"model: {modelConfig.ModelType}, {modelConfig.NumLayers} layers, hidden {modelConfig.HiddenSize}, {modelConfig.ParameterCount() / 1e6:F2}M parameters");
        if (config.Init == WeightInit.Pretrained && !ModelWeights.HasWeights(config.ModelNameOrPath))
            throw new JobException($"{config.ModelNameOrPath}: no model.safetensors or model.safetensors.index.json; add the weights, or set init: random to train from scratch");
        var (data, dataKey) = LoadData(config, tokenizer, log);
        if (config.Device != "cpu")
        {
            // Before any GPU memory is touched: a job that cannot fit stops here with the planner's numbers, planned
            // at the longest sample the data has (a batch is padded to its longest sample, never to cutoff_len).
            var device = JobDevice.For(config, 0);
            int longest = data.Train.Concat(data.Validation).Select(s => s.Length).DefaultIfEmpty(config.CutoffLen).Max();
            // A preference micro-batch of n pairs is one forward of 2n sequences (chosen and rejected).
            var planned = config.IsPreferenceStage ? config with { PerDeviceTrainBatchSize = 2 * config.PerDeviceTrainBatchSize } : config;
            JobMemoryCheck.Verify(planned with { CutoffLen = Math.Min(config.CutoffLen, longest) }, modelConfig, worldSize,
                DeviceMemory.TotalBytes(device.index), device.ToString(), log);
        }
        return new SharedInputs(modelConfig, tokenizer, data, dataKey);
    }

    /// <summary>
    /// One rank's model: built, initialized or loaded, with LoRA attached as configured, then placed on the
    /// rank's device (bf16 there when the job asks) with activation checkpointing as configured.
    /// </summary>
    /// <remarks>
    /// At ZeRO stage 3 the model is built on the meta device instead (nothing allocated) and Deferred says where its
    /// values come from and where its shards will live: the trainer then materializes one layer at a time into this
    /// rank's shards, so no process ever holds the whole model (docs/parallelism.md).
    /// </remarks>
    /// <param name="kernels">the planner of the GPU kernel plan, kept by the caller to measure once per device and shape; null: a new one</param>
    public static (CausalLM Model, LoraSettings? Lora, DeferredWeights? Deferred) BuildModel(JobConfig config, ModelConfig modelConfig, Action<string>? log, int rank = 0,
        KernelPlanner? kernels = null)
    {
        kernels ??= new KernelPlanner();
        if (config.IsQuantized) return QuantizedJobModel.Build(config, modelConfig, log, rank, kernels); // QLoRA (issue 22)
        if (config.ZeroStage == 3) return BuildSharded(config, modelConfig, log, rank, kernels);
        // A resumed full fine-tune: reading the base model (or drawing random weights) would only be overwritten.
        var checkpoint = WeightsFromCheckpoint(config);
        if (JobDevice.For(config, rank).type == DeviceType.CUDA) return BuildOnGpu(config, modelConfig, log, rank, checkpoint, kernels);
        var (model, lora) = BuildOnCpu(config, modelConfig, () => new CausalLM(modelConfig, initSeed: config.Seed, initialize: checkpoint is null), log,
            loadBase: checkpoint is null);
        if (checkpoint is not null) log?.Invoke($"weights: all from {checkpoint} (the base weights are not read)");
        try
        {
            JobDevice.ApplyCheckpointing(model, config, log);
            return (model, lora, null);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A rank's model on its GPU: built on the meta device, adapters attached, then each parameter made on the GPU in the
    /// compute dtype and filled there from its source (<see cref="DevicePlacement"/>). The random initialization is
    /// ZeRO-3's (<see cref="RandomInitSource"/>: parallel, the same values at every stage and world size); the CPU keeps
    /// the model's own initialization, which the CPU tests' loss curves are pinned to.
    /// </summary>
    private static (CausalLM Model, LoraSettings? Lora, DeferredWeights? Deferred) BuildOnGpu(JobConfig config, ModelConfig modelConfig,
        Action<string>? log, int rank, string? checkpoint, KernelPlanner kernels)
    {
        var device = JobDevice.For(config, rank);
        var dtype = config.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        var (model, lora) = BuildOnCpu(config, modelConfig, () => ModelConstruction.BuildOnMeta(modelConfig), log, loadBase: false);
        try
        {
            IParameterSource? source = checkpoint is not null ? null
                : config.Init == WeightInit.Pretrained ? new SafetensorsSource(config.ModelNameOrPath)
                : new RandomInitSource(config.Seed, modelConfig.InitializerRange);
            try { DevicePlacement.Materialize(model, device, dtype, source); }
            finally { (source as IDisposable)?.Dispose(); }
            model.Kernels.Plan = kernels.Choose(device, modelConfig, dtype, (long)config.PerDeviceTrainBatchSize * config.CutoffLen, config.FusedKernels, log);
            if (checkpoint is not null) log?.Invoke($"weights: all from {checkpoint} (the base weights are not read)");
            log?.Invoke($"device: {device}, {(config.Bf16 ? "bf16 compute with fp32 master weights" : "fp32")}, weights made there one at a time " +
                $"from {(checkpoint is not null ? "the checkpoint" : config.Init == WeightInit.Pretrained ? config.ModelNameOrPath : "a random initialization")}; " +
                $"GPU memory in use {DeviceMemory.UsedGib(device.index):F1} GiB");
            if (config.Fp8) ApplyFp8(model, device, log);
            JobDevice.ApplyCheckpointing(model, config, log);
            return (model, lora, null);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>fp8: true (issue 25): the decoder's projections through cuBLASLt's fp8 GEMMs on this rank's GPU.</summary>
    private static void ApplyFp8(CausalLM model, Device device, Action<string>? log)
    {
        var fp8 = Fp8.Fp8Linears.Apply(model, new Fp8.CublasLtFp8Backend(device.index));
        log?.Invoke($"fp8: {fp8.ProjectionCount} decoder projections run their GEMMs in fp8 (tensorwise scales; E4M3 activations and weights, " +
            "E5M2 gradients); embeddings, norms, attention and the LM head stay bf16");
    }

    private static (CausalLM Model, LoraSettings? Lora, DeferredWeights? Deferred) BuildSharded(JobConfig config, ModelConfig modelConfig, Action<string>? log, int rank,
        KernelPlanner kernels)
    {
        var device = JobDevice.For(config, rank);
        var dtype = device.type == DeviceType.CUDA && config.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        // The base weights stay on the meta device until materialized; LoRA adapters are made (or loaded) for real.
        var (model, lora) = BuildOnCpu(config, modelConfig, () => ModelConstruction.BuildOnMeta(modelConfig), log, loadBase: false);
        if (device.type == DeviceType.CUDA)
            model.Kernels.Plan = kernels.Choose(device, modelConfig, dtype, (long)config.PerDeviceTrainBatchSize * config.CutoffLen, config.FusedKernels, log);
        IParameterSource source = config.Init == WeightInit.Pretrained
            ? new SafetensorsSource(config.ModelNameOrPath)
            : new RandomInitSource(config.Seed, modelConfig.InitializerRange);
        log?.Invoke($"ZeRO-3: model built on the meta device; each layer is materialized into this rank's shards on {device} " +
            $"({(dtype == ScalarType.BFloat16 ? "bf16 with fp32 master weights" : "fp32")}) from {(config.Init == WeightInit.Pretrained ? config.ModelNameOrPath : "a random initialization")}");
        return (model, lora, new DeferredWeights(source, device, dtype));
    }

    internal static (CausalLM Model, LoraSettings? Lora) BuildOnCpu(JobConfig config, ModelConfig modelConfig, Func<CausalLM> create, Action<string>? log, bool loadBase = true)
    {
        var model = create();
        try
        {
            if (loadBase && config.Init == WeightInit.Pretrained) ModelWeights.Load(model, config.ModelNameOrPath);
            LoraSettings? lora = null;
            if (config.FinetuningType == FinetuningType.Lora)
            {
                if (config.AdapterNameOrPath is string adapter)
                {
                    lora = PeftAdapter.Load(model, adapter);
                    foreach (var (name, p) in model.named_parameters()) p.requires_grad = LoraModel.IsAdapterParameter(name);
                    log?.Invoke($"LoRA: continuing adapter {adapter} (rank {lora.Rank})");
                }
                else
                {
                    // Preference training turns dropout off (TRL's disable_dropout, as LLaMA-Factory does): with it the policy
                    // would differ from the reference (adapters off) at step 0, and DPO would not start at ln 2.
                    double dropout = config.IsPreferenceStage ? 0 : config.LoraDropout;
                    if (config.IsPreferenceStage && config.LoraDropout > 0)
                        log?.Invoke($"LoRA: lora_dropout {config.LoraDropout} is not applied in stage {config.Stage.ToString().ToLowerInvariant()} (dropout is off in preference training)");
                    lora = new LoraSettings(config.LoraRank, config.EffectiveLoraAlpha, dropout, config.LoraTargetModules, config.UseRslora);
                    int count = LoraModel.Apply(model, lora, config.Seed);
                    log?.Invoke($"LoRA: rank {lora.Rank}, alpha {lora.Alpha}, {count} adapted projections ({string.Join(",", lora.TargetModules)})");
                }
            }
            else if (config.AdapterNameOrPath is not null)
                throw new JobException("adapter_name_or_path is set but finetuning_type is full; accepted: finetuning_type lora, or no adapter");
            return (model, lora);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>What a job must be to start here: training on, a ZeRO stage this build has, its device up.</summary>
    private static void CheckRunnable(JobConfig config)
    {
        if (!config.DoTrain) throw new JobException("do_train is false: there is nothing for `cluster train` to do");
        JobDevice.Check(config);
    }

    private static ITokenizer LoadTokenizer(JobConfig config) => JobTokenizer.Load(config);

    /// <summary>The data step, shared with `cluster data preview` (<see cref="DataPipeline"/>): cached, parallel, logged.</summary>
    private static (TrainingData Data, string Key) LoadData(JobConfig config, ITokenizer tokenizer, Action<string> log)
    {
        var prepared = DataPipeline.Prepare(config, tokenizer, log);
        if (prepared.Data.Train.Count == 0) throw new JobException($"dataset {config.Dataset}: no usable training samples");
        // The cache entry is named by its key; without one (the cache could not be written) the key is computed again.
        var key = prepared.CacheFolder is string folder ? Path.GetFileName(folder) : TokenCacheKey.Compute(config, tokenizer);
        return (prepared.Data, key);
    }

    /// <summary>
    /// The trainer's settings for a run on worldSize ranks. The global batch is the job's
    /// (per_device_train_batch_size x gradient_accumulation_steps x world_size, as written); another world
    /// size changes only the accumulation, so the loss curve does not notice.
    /// </summary>
    /// <param name="jobId">the cluster job the run is an attempt of (recorded in its checkpoints); null outside the cluster</param>
    public static TrainerSettings MapSettings(JobConfig config, int trainSamples, int worldSize, int zeroStage, string? jobId = null)
    {
        int globalBatch = config.GlobalBatchSize;
        if (worldSize < 1 || globalBatch % worldSize != 0)
        {
            var valid = BatchSplit.ValidWorldSizes(globalBatch, 1, Math.Min(globalBatch, JobLimits.MaxWorldSize));
            throw new JobException($"world size {worldSize} cannot split the global batch of {globalBatch} (per_device_train_batch_size {config.PerDeviceTrainBatchSize} " +
                $"x gradient_accumulation_steps {config.GradientAccumulationSteps} x world_size {config.WorldSize}); world sizes that can: {BatchSplit.List(valid)}");
        }
        // Another world size keeps the global batch: each rank's share in equal micro-batches no larger than the job's.
        int microBatch = BatchSplit.MicroBatch(globalBatch, worldSize, config.PerDeviceTrainBatchSize);
        int perStep = microBatch * worldSize;
        int? evalSteps = config.EvalStrategy switch
        {
            EvalStrategy.Steps => config.EffectiveEvalSteps,
            EvalStrategy.Epoch => Math.Max(1, (int)Math.Ceiling((double)trainSamples / globalBatch)),
            _ => null,
        };
        return new TrainerSettings
        {
            OutputDir = config.OutputDir,
            MicroBatchSize = microBatch,
            GradientAccumulation = globalBatch / perStep,
            WorldSize = worldSize,
            ZeroStage = zeroStage,
            Switches = ComputeSwitches.From(config),
            Zero3RecomputeEvery = config.CheckpointInterval,
            OffloadOptimizer = config.OffloadOptimizer,
            LearningRate = config.LearningRate,
            Epochs = config.NumTrainEpochs,
            MaxSteps = config.MaxSteps,
            Schedule = config.LrSchedulerType,
            WarmupSteps = config.WarmupSteps,
            WarmupRatio = config.WarmupRatio,
            WeightDecay = config.WeightDecay,
            MaxGradNorm = config.MaxGradNorm,
            AdamBeta1 = config.AdamBeta1,
            AdamBeta2 = config.AdamBeta2,
            AdamEpsilon = config.AdamEpsilon,
            Seed = config.Seed,
            LoggingSteps = config.LoggingSteps,
            LoggingFirstStep = config.LoggingFirstStep,
            TensorBoardDir = config.ReportsToTensorBoard ? config.TensorBoardDir : null,
            SaveSteps = config.SaveSteps,
            SaveTotalLimit = config.SaveTotalLimit,
            SaveOnlyModel = config.SaveOnlyModel,
            EvalSteps = evalSteps,
            EvalBatchSize = config.PerDeviceEvalBatchSize,
            EarlyStoppingPatience = config.EarlyStoppingSteps,
            ResumeFrom = config.ResumeFromCheckpoint,
            OverwriteOutputDir = config.OverwriteOutputDir,
            JobId = jobId,
            BaseModelNameOrPath = config.ModelNameOrPath,
            Preference = Preference.PreferenceSettings.From(config),
        };
    }
}
