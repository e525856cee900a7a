namespace Athanor.Configuration;

/// <summary>One YAML key Athanor acts on: how to read it into a <see cref="JobConfig"/> and write it back.</summary>
/// <param name="Name">The snake_case YAML key.</param>
/// <param name="Section">The LLaMA-Factory section it belongs to (model, method, dataset, output, train, eval).</param>
/// <param name="Expected">What the key accepts, quoted in error messages.</param>
/// <param name="Apply">Types the raw value and sets it on the config.</param>
/// <param name="Write">The config's value as YAML text; null for keys that are not stored (fp16).</param>
/// <param name="WrittenWhen">Whether the key belongs in this config's written form (preference keys only with their stage); null: always.</param>
internal sealed record ConfigKey(
    string Name,
    string Section,
    string Expected,
    Func<JobConfig, RawEntry, JobConfig> Apply,
    Func<JobConfig, string>? Write,
    Func<JobConfig, bool>? WrittenWhen = null)
{
    /// <summary>True when the writer and the group fingerprint include this key for <paramref name="config"/>.</summary>
    public bool IsWrittenFor(JobConfig config) => Write is not null && (WrittenWhen?.Invoke(config) ?? true);
}

/// <summary>The table of every key Athanor acts on, in the order the writer emits them.</summary>
internal static class ConfigKeys
{
    private const string WholeAtLeast1 = "a whole number >= 1";
    private const string TrueOrFalse = "true or false";
    private const string Fraction = "a number in [0, 1) such as 0.9";

    public static readonly IReadOnlyList<ConfigKey> All =
    [
        // model
        Str("model", "model_name_or_path", "a model folder (config.json, *.safetensors, tokenizer files)",
            (c, v) => c with { ModelNameOrPath = v }, c => c.ModelNameOrPath),
        NullableStr("model", "adapter_name_or_path", "a LoRA adapter folder, or null",
            (c, v) => c with { AdapterNameOrPath = v }, c => c.AdapterNameOrPath),
        Str("model", "tokenizer", "model, byte, or a tokenizer folder",
            (c, v) => c with { Tokenizer = v }, c => c.Tokenizer),
        Enum("model", "init", Spellings.Init, (c, v) => c with { Init = v }, c => c.Init),

        // method
        Enum("method", "stage", Spellings.Stage, (c, v) => c with { Stage = v }, c => c.Stage),
        Bool("method", "do_train", (c, v) => c with { DoTrain = v }, c => c.DoTrain),
        Enum("method", "finetuning_type", Spellings.Finetuning, (c, v) => c with { FinetuningType = v }, c => c.FinetuningType),
        Int("method", "lora_rank", "a whole number >= 1 such as 8", (c, v) => c with { LoraRank = v }, c => c.LoraRank),
        NullableInt("method", "lora_alpha", "a whole number >= 1 such as 16, or null for 2 * lora_rank",
            (c, v) => c with { LoraAlpha = v }, c => c.LoraAlpha),
        Double("method", "lora_dropout", "a number in [0, 1) such as 0.05", (c, v) => c with { LoraDropout = v }, c => c.LoraDropout),
        List("method", "lora_target",
            "all, or a comma list of " + string.Join(", ", JobConfig.LoraModuleNames),
            (c, v) => c with { LoraTarget = v ?? "all" }, c => c.LoraTarget),
        Bool("method", "use_rslora", (c, v) => c with { UseRslora = v }, c => c.UseRslora),
        NullableStr("method", "deepspeed", "a DeepSpeed JSON such as ds_z3_config.json, or null",
            (c, v) => c with { Deepspeed = v }, c => c.Deepspeed),
        Int("method", "zero_stage", "0, 1, 2 or 3", (c, v) => c with { ZeroStage = v }, c => c.ZeroStage),
        Bool("method", "offload_optimizer", (c, v) => c with { OffloadOptimizer = v }, c => c.OffloadOptimizer),
        Int("method", "world_size", "a whole number in [1, 4096]", (c, v) => c with { WorldSize = v }, c => c.WorldSize),
        NullableInt("method", "min_world_size", "a whole number in [1, world_size] that divides the global batch, or null for world_size",
            (c, v) => c with { MinWorldSize = v }, c => c.MinWorldSize),
        NullableInt("method", "max_world_size", "a whole number in [world_size, 4096] and at most the global batch in samples, or null for world_size",
            (c, v) => c with { MaxWorldSize = v }, c => c.MaxWorldSize),
        Int("method", "priority", "a whole number; higher runs first", (c, v) => c with { Priority = v }, c => c.Priority),
        Int("method", "max_restarts", "a whole number >= 0", (c, v) => c with { MaxRestarts = v }, c => c.MaxRestarts),

        // preference training (issue 23): LLaMA-Factory's keys, each written only for the stages it belongs to
        .. PreferenceKeys.All,

        Bool("method", "fused_kernels", (c, v) => c with { FusedKernels = v }, c => c.FusedKernels),
        Bool("method", "zero3_prefetch", (c, v) => c with { Zero3Prefetch = v }, c => c.Zero3Prefetch),
        Bool("method", "zero3_overlap_reduce", (c, v) => c with { Zero3OverlapReduce = v }, c => c.Zero3OverlapReduce),
        Bool("method", "overlap_grad_reduce", (c, v) => c with { OverlapGradReduce = v }, c => c.OverlapGradReduce),
        Double("method", "grad_bucket_mb", "a size in MB above 0 and at most 65536, such as 100",
            (c, v) => c with { GradBucketMb = v }, c => c.GradBucketMb),
        Str("method", "device", "cpu, cuda or cuda:N", (c, v) => c with { Device = v }, c => c.Device),
        NullableInt("method", "threads", "a whole number >= 1, or null for all cores",
            (c, v) => c with { Threads = v }, c => c.Threads),

        // QLoRA (issue 22): a 4-bit base under LoRA
        .. QuantizationKeys.All,

        // dataset
        List("dataset", "dataset", "a comma list of dataset names from dataset_info.json",
            (c, v) => c with { Dataset = v }, c => c.Dataset),
        List("eval", "eval_tasks", "a comma list of KIND:FILE with KIND perplexity or multiple-choice, or null",
            (c, v) => c with { EvalTasks = v }, c => c.EvalTasks),
        NullableStr("eval", "eval_prompts", "a JSONL file of {\"prompt\": ...} lines to sample at each evaluation, or null",
            (c, v) => c with { EvalPrompts = v }, c => c.EvalPrompts),
        List("dataset", "eval_dataset", "a comma list of dataset names from dataset_info.json, or null",
            (c, v) => c with { EvalDataset = v }, c => c.EvalDataset),
        Str("dataset", "dataset_dir", "a folder holding dataset_info.json",
            (c, v) => c with { DatasetDir = v }, c => c.DatasetDir),
        Str("dataset", "template", "a chat template name such as qwen3_nothink",
            (c, v) => c with { Template = v }, c => c.Template),
        Int("dataset", "cutoff_len", "a whole number in [1, 1048576] such as 2048", (c, v) => c with { CutoffLen = v }, c => c.CutoffLen),
        NullableInt("dataset", "max_samples", "a whole number >= 1, or null for all samples",
            (c, v) => c with { MaxSamples = v }, c => c.MaxSamples),
        Double("dataset", "val_size", "a fraction in [0, 1) such as 0.1, or a whole sample count >= 1",
            (c, v) => c with { ValSize = v }, c => c.ValSize),
        Bool("dataset", "packing", (c, v) => c with { Packing = v }, c => c.Packing),
        Bool("dataset", "train_on_prompt", (c, v) => c with { TrainOnPrompt = v }, c => c.TrainOnPrompt),
        NullableInt("dataset", "preprocessing_num_workers", "a whole number >= 1, or null",
            (c, v) => c with { PreprocessingNumWorkers = v }, c => c.PreprocessingNumWorkers),
        NullableStr("dataset", "tokenized_path", "a folder for the tokenized-dataset cache, or null for OUTPUT_DIR/../.athanor-cache",
            (c, v) => c with { TokenizedPath = v }, c => c.TokenizedPath),
        Enum("dataset", "on_bad_record", Spellings.BadRecord, (c, v) => c with { OnBadRecord = v }, c => c.OnBadRecord),

        // output
        Str("output", "output_dir", "a folder for checkpoints, logs and the final model",
            (c, v) => c with { OutputDir = v }, c => c.OutputDir),
        Int("output", "logging_steps", WholeAtLeast1, (c, v) => c with { LoggingSteps = v }, c => c.LoggingSteps),
        Bool("output", "logging_first_step", (c, v) => c with { LoggingFirstStep = v }, c => c.LoggingFirstStep),
        new("report_to", "output", ReportTo.Expected, (c, e) => c with { ReportTo = ReportTo.Read(e) }, c => YamlText.String(c.ReportTo)),
        NullableStr("output", "logging_dir", "a folder for TensorBoard event files, or null for OUTPUT_DIR/runs",
            (c, v) => c with { LoggingDir = v }, c => c.LoggingDir),
        Int("output", "save_steps", WholeAtLeast1, (c, v) => c with { SaveSteps = v }, c => c.SaveSteps),
        NullableInt("output", "save_total_limit", "a whole number >= 1, or null to keep every checkpoint",
            (c, v) => c with { SaveTotalLimit = v }, c => c.SaveTotalLimit),
        Bool("output", "plot_loss", (c, v) => c with { PlotLoss = v }, c => c.PlotLoss),
        Bool("output", "overwrite_output_dir", (c, v) => c with { OverwriteOutputDir = v }, c => c.OverwriteOutputDir),
        Bool("output", "save_only_model", (c, v) => c with { SaveOnlyModel = v }, c => c.SaveOnlyModel),

        // train
        Int("train", "per_device_train_batch_size", "a whole number in [1, 65536]",
            (c, v) => c with { PerDeviceTrainBatchSize = v }, c => c.PerDeviceTrainBatchSize),
        Int("train", "gradient_accumulation_steps", "a whole number in [1, 1000000]",
            (c, v) => c with { GradientAccumulationSteps = v }, c => c.GradientAccumulationSteps),
        Double("train", "learning_rate", "a positive number such as 1e-4", (c, v) => c with { LearningRate = v }, c => c.LearningRate),
        Double("train", "num_train_epochs", "a positive number such as 3.0",
            (c, v) => c with { NumTrainEpochs = v }, c => c.NumTrainEpochs),
        Int("train", "max_steps", "-1 (train for num_train_epochs) or a whole number >= 1",
            (c, v) => c with { MaxSteps = v }, c => c.MaxSteps),
        Enum("train", "lr_scheduler_type", Spellings.Scheduler, (c, v) => c with { LrSchedulerType = v }, c => c.LrSchedulerType),
        Double("train", "warmup_ratio", "a number in [0, 1] such as 0.1", (c, v) => c with { WarmupRatio = v }, c => c.WarmupRatio),
        Int("train", "warmup_steps", "a whole number >= 0", (c, v) => c with { WarmupSteps = v }, c => c.WarmupSteps),
        Double("train", "weight_decay", "a number >= 0 such as 0.01", (c, v) => c with { WeightDecay = v }, c => c.WeightDecay),
        Double("train", "max_grad_norm", "a number >= 0 such as 1.0 (0 turns clipping off)",
            (c, v) => c with { MaxGradNorm = v }, c => c.MaxGradNorm),
        Double("train", "adam_beta1", Fraction, (c, v) => c with { AdamBeta1 = v }, c => c.AdamBeta1),
        Double("train", "adam_beta2", "a number in [0, 1) such as 0.999", (c, v) => c with { AdamBeta2 = v }, c => c.AdamBeta2),
        Double("train", "adam_epsilon", "a positive number such as 1e-8", (c, v) => c with { AdamEpsilon = v }, c => c.AdamEpsilon),
        Bool("train", "bf16", (c, v) => c with { Bf16 = v }, c => c.Bf16),
        new("fp16", "train", "false (fp16 is not supported; use bf16)", ApplyFp16, null),
        // FP8 training (issue 25): the decoder's projections in float8 on GPUs that have it
        .. Fp8Keys.All,
        Int("train", "seed", "a whole number", (c, v) => c with { Seed = v }, c => c.Seed),
        new("resume_from_checkpoint", "train", "null, auto (or true), or a checkpoint folder",
            ApplyResume, c => YamlText.String(c.ResumeFromCheckpoint)),
        Bool("train", "gradient_checkpointing", (c, v) => c with { GradientCheckpointing = v }, c => c.GradientCheckpointing),
        Int("train", "gradient_checkpointing_every", "a whole number >= 1 (1: every decoder layer, k: every k-th)",
            (c, v) => c with { GradientCheckpointingEvery = v }, c => c.GradientCheckpointingEvery),

        // eval
        Int("eval", "per_device_eval_batch_size", WholeAtLeast1,
            (c, v) => c with { PerDeviceEvalBatchSize = v }, c => c.PerDeviceEvalBatchSize),
        Enum("eval", "eval_strategy", Spellings.Eval, (c, v) => c with { EvalStrategy = v }, c => c.EvalStrategy),
        NullableInt("eval", "eval_steps", "a whole number >= 1, or null for every logging_steps",
            (c, v) => c with { EvalSteps = v }, c => c.EvalSteps),
        NullableInt("eval", "early_stopping_steps", "a whole number >= 1 (evaluations without a better eval loss), or null",
            (c, v) => c with { EarlyStoppingSteps = v }, c => c.EarlyStoppingSteps),
    ];

    private static readonly Dictionary<string, ConfigKey> ByName = All.ToDictionary(k => k.Name, StringComparer.Ordinal);

    public static ConfigKey? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>What <paramref name="name"/> accepts, for messages outside the typing step.</summary>
    public static string ExpectedFor(string name) => ByName[name].Expected;

    private static JobConfig ApplyFp16(JobConfig c, RawEntry e)
    {
        if (ValueReader.Bool(e, TrueOrFalse))
            throw e.Error("fp16 is not supported; use bf16: true (or neither, for float32)");
        return c;
    }

    // LLaMA-Factory (through Hugging Face) reads a YAML true as "resume from the latest checkpoint".
    private static JobConfig ApplyResume(JobConfig c, RawEntry e)
    {
        const string expected = "null, auto (or true), or a checkpoint folder";
        if (e.Kind == RawKind.Scalar && !e.Quoted && YamlScalars.ParseBool(e.Text.Trim()) is { } flag)
            return c with { ResumeFromCheckpoint = flag ? "auto" : null };
        return c with { ResumeFromCheckpoint = ValueReader.NullableString(e, expected) };
    }

    private static ConfigKey Str(string section, string name, string expected, Func<JobConfig, string, JobConfig> set, Func<JobConfig, string> get) =>
        new(name, section, expected, (c, e) => set(c, ValueReader.String(e, expected)), c => YamlText.String(get(c)));

    private static ConfigKey NullableStr(string section, string name, string expected, Func<JobConfig, string?, JobConfig> set, Func<JobConfig, string?> get) =>
        new(name, section, expected, (c, e) => set(c, ValueReader.NullableString(e, expected)), c => YamlText.String(get(c)));

    private static ConfigKey List(string section, string name, string expected, Func<JobConfig, string?, JobConfig> set, Func<JobConfig, string?> get) =>
        new(name, section, expected, (c, e) => set(c, ValueReader.NullableList(e, expected)), c => YamlText.String(get(c)));

    private static ConfigKey Bool(string section, string name, Func<JobConfig, bool, JobConfig> set, Func<JobConfig, bool> get) =>
        new(name, section, TrueOrFalse, (c, e) => set(c, ValueReader.Bool(e, TrueOrFalse)), c => YamlText.Bool(get(c)));

    private static ConfigKey Int(string section, string name, string expected, Func<JobConfig, int, JobConfig> set, Func<JobConfig, int> get) =>
        new(name, section, expected, (c, e) => set(c, ValueReader.Int(e, expected)), c => YamlText.Int(get(c)));

    private static ConfigKey NullableInt(string section, string name, string expected, Func<JobConfig, int?, JobConfig> set, Func<JobConfig, int?> get) =>
        new(name, section, expected, (c, e) => set(c, ValueReader.NullableInt(e, expected)), c => YamlText.Int(get(c)));

    internal static ConfigKey Double(string section, string name, string expected, Func<JobConfig, double, JobConfig> set, Func<JobConfig, double> get) =>
        new(name, section, expected, (c, e) => set(c, ValueReader.Double(e, expected)), c => YamlText.Double(get(c)));

    internal static ConfigKey Enum<T>(string section, string name, EnumSpelling<T> spelling, Func<JobConfig, T, JobConfig> set, Func<JobConfig, T> get)
        where T : struct, System.Enum =>
        new(name, section, "one of " + spelling.Accepted, (c, e) => set(c, ValueReader.Enum(e, spelling)), c => spelling.Name(get(c)));
}
