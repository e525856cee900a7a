namespace Athanor.Configuration;

/// <summary>
/// Athanor's one typed model of a training job. Each property mirrors a LLaMA-Factory YAML key
/// (named in its comment); defaults are LLaMA-Factory's unless the key is Athanor's own.
/// Build one with <see cref="JobConfigLoader"/> (which validates) or in code and then call
/// <see cref="JobConfigValidator.Validate(JobConfig, string)"/>. Paths hold resolved values;
/// the text as written is in <see cref="LoadedConfig.RawPaths"/>.
/// </summary>
public sealed record JobConfig
{
    /// <summary>All module names <c>lora_target: all</c> stands for, in model order.</summary>
    public static readonly IReadOnlyList<string> LoraModuleNames =
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    // ---- model ----

    /// <summary><c>model_name_or_path</c>: the model folder (absolute when it exists as a relative folder), or the text as written.</summary>
    public required string ModelNameOrPath { get; init; }

    /// <summary><c>adapter_name_or_path</c>: a LoRA adapter folder to start from.</summary>
    public string? AdapterNameOrPath { get; init; }

    /// <summary><c>tokenizer</c>: "model" (the model folder's tokenizer), "byte" (built-in byte tokenizer) or a folder path.</summary>
    public string Tokenizer { get; init; } = "model";

    /// <summary><c>init</c>: load pretrained weights or initialise randomly from config.json.</summary>
    public WeightInit Init { get; init; } = WeightInit.Pretrained;

    // ---- method ----

    /// <summary><c>stage</c>.</summary>
    public TrainingStage Stage { get; init; } = TrainingStage.Sft;

    /// <summary><c>do_train</c>.</summary>
    public bool DoTrain { get; init; } = true;

    /// <summary><c>finetuning_type</c>.</summary>
    public FinetuningType FinetuningType { get; init; } = FinetuningType.Lora;

    /// <summary><c>lora_rank</c>.</summary>
    public int LoraRank { get; init; } = 8;

    /// <summary><c>lora_alpha</c>; null means 2 * rank (LLaMA-Factory's default). See <see cref="EffectiveLoraAlpha"/>.</summary>
    public int? LoraAlpha { get; init; }

    /// <summary><c>lora_dropout</c>.</summary>
    public double LoraDropout { get; init; }

    /// <summary><c>lora_target</c>: "all" or a comma list of module names. See <see cref="LoraTargetModules"/>.</summary>
    public string LoraTarget { get; init; } = "all";

    /// <summary><c>use_rslora</c>: scale by alpha / sqrt(rank) instead of alpha / rank.</summary>
    public bool UseRslora { get; init; }

    /// <summary><c>deepspeed</c>: a DeepSpeed JSON; Athanor reads only its ZeRO stage (into <see cref="ZeroStage"/>).</summary>
    public string? Deepspeed { get; init; }

    /// <summary><c>zero_stage</c> (Athanor): 0 = plain data parallel, 1/2/3 = ZeRO stage.</summary>
    public int ZeroStage { get; init; }

    /// <summary>
    /// <c>offload_optimizer</c> (Athanor, DeepSpeed's offload_optimizer): the fp32 master weights and Adam moments of
    /// each rank's shard live in host memory and the update runs on the CPU; only with zero_stage 3.
    /// </summary>
    public bool OffloadOptimizer { get; init; }

    /// <summary><c>world_size</c> (Athanor): number of training processes.</summary>
    public int WorldSize { get; init; } = 1;

    /// <summary><c>eval_tasks</c> (Athanor): benchmark tasks run at each evaluation, "KIND:FILE" comma list (perplexity, multiple-choice).</summary>
    public string? EvalTasks { get; init; }

    /// <summary><c>eval_prompts</c> (Athanor): a JSONL file of prompts whose completions are sampled (greedy) at each evaluation.</summary>
    public string? EvalPrompts { get; init; }

    /// <summary><c>min_world_size</c> (Athanor): the fewest workers the cluster may run the job on (elastic range); null = world_size.</summary>
    public int? MinWorldSize { get; init; }

    /// <summary><c>max_world_size</c> (Athanor): the most workers the cluster may grow the job to; null = world_size.</summary>
    public int? MaxWorldSize { get; init; }

    /// <summary><c>priority</c> (Athanor): the cluster's queue runs higher priorities first.</summary>
    public int Priority { get; init; }

    /// <summary><c>max_restarts</c> (Athanor): failed attempts (lost nodes, errors) before the cluster gives the job up.</summary>
    public int MaxRestarts { get; init; } = 10;

    // ---- preference training (issue 23; LLaMA-Factory's FinetuningArguments) ----

    /// <summary><c>pref_loss</c>: the stage dpo loss (sigmoid is DPO).</summary>
    public PreferenceLoss PrefLoss { get; init; } = PreferenceLoss.Sigmoid;

    /// <summary><c>pref_beta</c>: the beta of DPO, IPO, hinge, ORPO, SimPO and KTO.</summary>
    public double PrefBeta { get; init; } = 0.1;

    /// <summary><c>pref_ftx</c>: weight of the SFT loss on the chosen response added to the preference loss.</summary>
    public double PrefFtx { get; init; }

    /// <summary><c>simpo_gamma</c>: SimPO's target reward margin.</summary>
    public double SimpoGamma { get; init; } = 0.5;

    /// <summary><c>dpo_label_smoothing</c>: the assumed label-flip rate of robust (conservative) DPO, sigmoid loss only.</summary>
    public double DpoLabelSmoothing { get; init; }

    /// <summary><c>kto_chosen_weight</c>: KTO's weight of desirable examples.</summary>
    public double KtoChosenWeight { get; init; } = 1.0;

    /// <summary><c>kto_rejected_weight</c>: KTO's weight of undesirable examples.</summary>
    public double KtoRejectedWeight { get; init; } = 1.0;

    /// <summary>True for the preference stages (dpo, kto), whose samples are pairs.</summary>
    public bool IsPreferenceStage => Stage is TrainingStage.Dpo or TrainingStage.Kto;

    /// <summary>True when the loss compares against a reference model (all but the reference-free ORPO and SimPO).</summary>
    public bool UsesReferenceModel => Stage == TrainingStage.Kto || (Stage == TrainingStage.Dpo && PrefLoss is not (PreferenceLoss.Orpo or PreferenceLoss.Simpo));

    /// <summary>The elastic range as (min, max), defaults applied.</summary>
    public (int Min, int Max) WorldRange => (MinWorldSize ?? WorldSize, MaxWorldSize ?? Math.Max(WorldSize, MinWorldSize ?? WorldSize));

    // Switches that change what ranks compute or exchange: job keys, so every rank of a job has the same value
    // (ranks also prove it when their group forms: docs/architecture.md, "Group fingerprint").

    /// <summary>
    /// <c>fused_kernels</c> (Athanor): Athanor's fused CUDA kernels where they compile and win the kernel planner's timing
    /// (RMSNorm, rotary, SwiGLU) and in the optimizer (AdamW, clipping norm; its bf16 parameter all-gather); false: plain
    /// libtorch ops everywhere. CPUs never run them.
    /// </summary>
    public bool FusedKernels { get; init; } = true;

    /// <summary><c>zero3_prefetch</c> (Athanor): ZeRO-3 gathers the next decoder layer while the current one computes.</summary>
    public bool Zero3Prefetch { get; init; } = true;

    /// <summary><c>zero3_overlap_reduce</c> (Athanor): ZeRO-3 reduce-scatters a layer's gradients while backward goes on.</summary>
    public bool Zero3OverlapReduce { get; init; } = true;

    /// <summary><c>overlap_grad_reduce</c> (Athanor): stages 0-2 reduce gradients in buckets during the last micro-batch's backward.</summary>
    public bool OverlapGradReduce { get; init; }

    /// <summary><c>grad_bucket_mb</c> (Athanor): with <see cref="OverlapGradReduce"/>, MB of fp32 gradients per bucket.</summary>
    public double GradBucketMb { get; init; } = 100;

    /// <summary>The gradient bucket size in fp32 elements when buckets are on; null when gradients are reduced after backward.</summary>
    public long? GradientBucketElements => OverlapGradReduce ? Math.Max(1, (long)(GradBucketMb * 1e6 / 4)) : null;

    /// <summary><c>device</c> (Athanor): "cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary><c>threads</c> (Athanor): CPU threads for tensor math; null = all cores.</summary>
    public int? Threads { get; init; }

    // ---- QLoRA (issue 22): LLaMA-Factory's quantization keys ----

    /// <summary><c>quantization_bit</c>: 4 quantizes the frozen base to 4 bits (QLoRA; only with LoRA); null: no quantization.</summary>
    public int? QuantizationBit { get; init; }

    /// <summary><c>quantization_method</c>: "bnb", bitsandbytes' layout (the one method built).</summary>
    public string QuantizationMethod { get; init; } = "bnb";

    /// <summary><c>quantization_type</c>: NF4 (default) or FP4.</summary>
    public QuantizationType QuantizationType { get; init; } = QuantizationType.Nf4;

    /// <summary><c>double_quantization</c>: the block scales are themselves quantized to 8 bits (QLoRA's double quantization).</summary>
    public bool DoubleQuantization { get; init; } = true;

    /// <summary>True when the base model is held in 4 bits.</summary>
    public bool IsQuantized => QuantizationBit == 4;

    // ---- dataset ----

    /// <summary><c>dataset</c>: comma list of dataset names. See <see cref="DatasetNames"/>.</summary>
    public string? Dataset { get; init; }

    /// <summary><c>eval_dataset</c>: comma list of evaluation dataset names.</summary>
    public string? EvalDataset { get; init; }

    /// <summary><c>dataset_dir</c>: folder holding dataset_info.json and the data files (absolute).</summary>
    public string DatasetDir { get; init; } = "data";

    /// <summary><c>template</c>: chat template name.</summary>
    public string Template { get; init; } = "default";

    /// <summary><c>cutoff_len</c>: maximum tokens per sample.</summary>
    public int CutoffLen { get; init; } = 2048;

    /// <summary><c>max_samples</c>: cap on samples taken from each dataset.</summary>
    public int? MaxSamples { get; init; }

    /// <summary><c>val_size</c>: a fraction in [0, 1) of the training data, or a whole count of samples when >= 1.</summary>
    public double ValSize { get; init; }

    /// <summary><c>packing</c>: pack several samples into one sequence.</summary>
    public bool Packing { get; init; }

    /// <summary><c>train_on_prompt</c>: also compute loss on prompt tokens.</summary>
    public bool TrainOnPrompt { get; init; }

    /// <summary><c>preprocessing_num_workers</c>: tokenization workers; null = Athanor's choice.</summary>
    public int? PreprocessingNumWorkers { get; init; }

    /// <summary><c>tokenized_path</c>: the folder of the tokenized-dataset cache; null = OUTPUT_DIR/../.athanor-cache.</summary>
    public string? TokenizedPath { get; init; }

    /// <summary><c>on_bad_record</c> (Athanor): fail on a malformed record, or skip and count it.</summary>
    public BadRecordPolicy OnBadRecord { get; init; } = BadRecordPolicy.Error;

    // ---- output ----

    /// <summary><c>output_dir</c>: the run folder (absolute).</summary>
    public required string OutputDir { get; init; }

    /// <summary><c>logging_steps</c>.</summary>
    public int LoggingSteps { get; init; } = 10;

    /// <summary><c>logging_first_step</c>: also log step 1, so the curve starts at the untrained loss.</summary>
    public bool LoggingFirstStep { get; init; }

    /// <summary>
    /// <c>report_to</c>: the trackers named, as a lower-case comma list without "none"; null for none. Athanor acts on
    /// tensorboard (and all); the others are reported as ignored. See <see cref="ReportsToTensorBoard"/>.
    /// </summary>
    public string? ReportTo { get; init; }

    /// <summary><c>logging_dir</c>: the folder of TensorBoard event files (absolute); null = OUTPUT_DIR/runs. See <see cref="TensorBoardDir"/>.</summary>
    public string? LoggingDir { get; init; }

    /// <summary><c>save_steps</c>.</summary>
    public int SaveSteps { get; init; } = 500;

    /// <summary><c>save_total_limit</c>: keep at most this many checkpoints; null = keep all.</summary>
    public int? SaveTotalLimit { get; init; }

    /// <summary><c>plot_loss</c>: write a loss plot at the end.</summary>
    public bool PlotLoss { get; init; }

    /// <summary><c>overwrite_output_dir</c>: allow starting over in a non-empty output folder.</summary>
    public bool OverwriteOutputDir { get; init; }

    /// <summary><c>save_only_model</c>: checkpoints hold weights only (no optimizer state; cannot resume).</summary>
    public bool SaveOnlyModel { get; init; }

    // ---- train ----

    /// <summary><c>per_device_train_batch_size</c>.</summary>
    public int PerDeviceTrainBatchSize { get; init; } = 1;

    /// <summary><c>gradient_accumulation_steps</c>.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary><c>learning_rate</c>: peak learning rate.</summary>
    public double LearningRate { get; init; } = 5e-5;

    /// <summary><c>num_train_epochs</c>: used when <see cref="MaxSteps"/> is -1.</summary>
    public double NumTrainEpochs { get; init; } = 3.0;

    /// <summary><c>max_steps</c>: optimizer steps; -1 = derive from epochs.</summary>
    public int MaxSteps { get; init; } = -1;

    /// <summary><c>lr_scheduler_type</c>.</summary>
    public LrSchedulerType LrSchedulerType { get; init; } = LrSchedulerType.Linear;

    /// <summary><c>warmup_ratio</c>: fraction of total steps spent warming up.</summary>
    public double WarmupRatio { get; init; }

    /// <summary><c>warmup_steps</c>: wins over <see cref="WarmupRatio"/> when > 0.</summary>
    public int WarmupSteps { get; init; }

    /// <summary><c>weight_decay</c> (decoupled, AdamW).</summary>
    public double WeightDecay { get; init; }

    /// <summary><c>max_grad_norm</c>: clip the global gradient norm to this; 0 = no clipping.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary><c>adam_beta1</c>.</summary>
    public double AdamBeta1 { get; init; } = 0.9;

    /// <summary><c>adam_beta2</c>.</summary>
    public double AdamBeta2 { get; init; } = 0.999;

    /// <summary><c>adam_epsilon</c>.</summary>
    public double AdamEpsilon { get; init; } = 1e-8;

    /// <summary><c>bf16</c>: compute in bfloat16 on GPUs (fp32 master weights and AdamW state); CPU runs stay fp32.</summary>
    public bool Bf16 { get; init; }

    /// <summary>
    /// <c>fp8</c> (Athanor, issue 25): the decoder's q/k/v/o and gate/up/down projections run their GEMMs in float8
    /// (cuBLASLt; needs <see cref="Bf16"/> and a GPU of compute capability 8.9 or newer). Master weights stay fp32.
    /// </summary>
    public bool Fp8 { get; init; }

    /// <summary><c>fp8_recipe</c> (Athanor): how fp8 GEMM inputs are scaled; tensorwise is the one recipe built.</summary>
    public Fp8Recipe Fp8Recipe { get; init; } = Fp8Recipe.Tensorwise;

    /// <summary><c>seed</c>.</summary>
    public int Seed { get; init; } = 42;

    /// <summary><c>resume_from_checkpoint</c>: null, "auto" (latest checkpoint in the output folder) or a checkpoint folder (absolute).</summary>
    public string? ResumeFromCheckpoint { get; init; }

    /// <summary><c>gradient_checkpointing</c>: recompute activations in backward to save memory.</summary>
    public bool GradientCheckpointing { get; init; }

    /// <summary><c>gradient_checkpointing_every</c> (Athanor): with checkpointing on, checkpoint every k-th decoder layer (1: all).</summary>
    public int GradientCheckpointingEvery { get; init; } = 1;

    /// <summary>The checkpoint interval to apply: 0 when off.</summary>
    public int CheckpointInterval => GradientCheckpointing ? GradientCheckpointingEvery : 0;

    // ---- eval ----

    /// <summary><c>per_device_eval_batch_size</c>.</summary>
    public int PerDeviceEvalBatchSize { get; init; } = 1;

    /// <summary><c>eval_strategy</c>; "steps" when only eval_steps is given.</summary>
    public EvalStrategy EvalStrategy { get; init; } = EvalStrategy.No;

    /// <summary><c>eval_steps</c>; null with strategy "steps" means every <see cref="LoggingSteps"/> (as Hugging Face does).</summary>
    public int? EvalSteps { get; init; }

    /// <summary><c>early_stopping_steps</c>: stop after this many evaluations without a better eval loss.</summary>
    public int? EarlyStoppingSteps { get; init; }

    // ---- derived values (not stored, so not part of equality) ----

    /// <summary>The names in <see cref="Dataset"/>.</summary>
    public IReadOnlyList<string> DatasetNames => SplitList(Dataset);

    /// <summary>The names in <see cref="EvalDataset"/>.</summary>
    public IReadOnlyList<string> EvalDatasetNames => SplitList(EvalDataset);

    /// <summary>The module names LoRA wraps ("all" expanded).</summary>
    public IReadOnlyList<string> LoraTargetModules =>
        string.Equals(LoraTarget.Trim(), "all", StringComparison.Ordinal) ? LoraModuleNames : SplitList(LoraTarget);

    /// <summary><see cref="LoraAlpha"/>, or 2 * rank when unset.</summary>
    public int EffectiveLoraAlpha => LoraAlpha ?? 2 * LoraRank;

    /// <summary>The factor LoRA's update is multiplied by: alpha / rank, or alpha / sqrt(rank) with rsLoRA.</summary>
    public double LoraScaling => UseRslora ? EffectiveLoraAlpha / Math.Sqrt(LoraRank) : (double)EffectiveLoraAlpha / LoraRank;

    /// <summary>Evaluation interval in optimizer steps when <see cref="EvalStrategy"/> is Steps.</summary>
    public int EffectiveEvalSteps => EvalSteps ?? LoggingSteps;

    /// <summary>True when <see cref="ValSize"/> is a sample count rather than a fraction.</summary>
    public bool ValSizeIsCount => ValSize >= 1.0;

    /// <summary>True when <see cref="ReportTo"/> asks for TensorBoard event files (tensorboard or all).</summary>
    public bool ReportsToTensorBoard => Configuration.ReportTo.IncludesTensorBoard(ReportTo);

    /// <summary>Where TensorBoard event files go: <see cref="LoggingDir"/>, or OUTPUT_DIR/runs.</summary>
    public string TensorBoardDir => LoggingDir ?? Path.Combine(OutputDir, "runs");

    /// <summary>Samples per optimizer step across all processes.</summary>
    public int GlobalBatchSize => checked((int)JobLimits.GlobalBatch(PerDeviceTrainBatchSize, GradientAccumulationSteps, WorldSize));

    /// <summary>Warmup length for a run of <paramref name="totalSteps"/> optimizer steps (warmup_steps wins over warmup_ratio).</summary>
    public int WarmupStepsFor(int totalSteps) =>
        WarmupSteps > 0 ? WarmupSteps : (int)Math.Ceiling(WarmupRatio * totalSteps);

    private static string[] SplitList(string? text) =>
        text is null ? [] : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
