using System.Globalization;

namespace Athanor.Configuration;

/// <summary>
/// Every range and cross-key rule of a <see cref="JobConfig"/>, in one place. The loader runs it on
/// each config it returns; code that builds a JobConfig itself should run it too.
/// </summary>
public static class JobConfigValidator
{
    /// <summary>Throws a <see cref="ConfigException"/> naming <paramref name="sourceName"/> for the first rule broken.</summary>
    public static void Validate(JobConfig config, string sourceName = "config") =>
        Validate(config, _ => (sourceName, null));

    /// <param name="config">The config to check.</param>
    /// <param name="where">Where a key was set (source name and line), so the message can point there.</param>
    internal static void Validate(JobConfig config, Func<string, (string Source, int? Line)> where)
    {
        var c = config;
        var check = new Checker(where);

        // model
        check.NotBlank("model_name_or_path", c.ModelNameOrPath);
        check.NotBlank("adapter_name_or_path", c.AdapterNameOrPath);
        check.NotBlank("tokenizer", c.Tokenizer);

        // method
        check.Range("lora_rank", c.LoraRank, c.LoraRank >= 1);
        if (c.LoraAlpha is { } alpha)
            check.Range("lora_alpha", alpha, alpha >= 1);
        check.Range("lora_dropout", c.LoraDropout, c.LoraDropout is >= 0 and < 1);
        CheckLoraTarget(c.LoraTarget, check);
        check.NotBlank("deepspeed", c.Deepspeed);
        check.Range("zero_stage", c.ZeroStage, c.ZeroStage is >= 0 and <= 3);
        if (c.OffloadOptimizer && c.ZeroStage != 3)
            check.Fail("offload_optimizer", $"true needs zero_stage 3 (this job has zero_stage {c.ZeroStage}); accepted: offload_optimizer: true with zero_stage: 3, or offload_optimizer: false");
        check.Range("world_size", c.WorldSize, c.WorldSize is >= 1 and <= JobLimits.MaxWorldSize);
        if (c.MinWorldSize is int min) check.Range("min_world_size", min, min >= 1 && min <= c.WorldSize);
        if (c.MaxWorldSize is int max) check.Range("max_world_size", max, max >= c.WorldSize && max >= (c.MinWorldSize ?? 1) && max <= JobLimits.MaxWorldSize);
        check.Range("max_restarts", c.MaxRestarts, c.MaxRestarts >= 0);
        check.Range("grad_bucket_mb", c.GradBucketMb, c.GradBucketMb is > 0 and <= 65536);
        if (!IsDevice(c.Device))
            check.Fail("device", $"{InputText.Quote(c.Device)} is not accepted; expected {ConfigKeys.ExpectedFor("device")}");
        if (c.Threads is { } threads)
            check.Range("threads", threads, threads >= 1);
        if (c.AdapterNameOrPath is not null && c.FinetuningType != FinetuningType.Lora)
            check.Fail("adapter_name_or_path", "an adapter needs finetuning_type: lora");
        QuantizationKeys.Check(c, check.Fail); // QLoRA (issue 22)
        Fp8Keys.Check(c, check.Fail); // FP8 training (issue 25)

        // preference training (issue 23)
        check.Range("pref_beta", c.PrefBeta, c.PrefBeta > 0);
        check.Range("pref_ftx", c.PrefFtx, c.PrefFtx >= 0);
        check.Range("simpo_gamma", c.SimpoGamma, c.SimpoGamma >= 0);
        check.Range("dpo_label_smoothing", c.DpoLabelSmoothing, c.DpoLabelSmoothing is >= 0 and <= 0.5);
        check.Range("kto_chosen_weight", c.KtoChosenWeight, c.KtoChosenWeight > 0);
        check.Range("kto_rejected_weight", c.KtoRejectedWeight, c.KtoRejectedWeight > 0);
        if (c.IsPreferenceStage && c.Packing)
            check.Fail("packing", $"true is not accepted with stage {Spellings.Stage.Name(c.Stage)}: a pair is one sequence each for chosen and rejected, never packed with another; set packing: false");

        // dataset
        check.NotBlank("dataset_dir", c.DatasetDir);
        check.NotBlank("template", c.Template);
        check.Range("cutoff_len", c.CutoffLen, c.CutoffLen is >= 1 and <= JobLimits.MaxCutoffLen);
        if (c.MaxSamples is { } maxSamples)
            check.Range("max_samples", maxSamples, maxSamples >= 1);
        check.Range("val_size", c.ValSize, c.ValSize >= 0 && (c.ValSize < 1 || c.ValSize == Math.Floor(c.ValSize)));
        if (c.PreprocessingNumWorkers is { } workers)
            check.Range("preprocessing_num_workers", workers, workers >= 1);
        if (c.DoTrain && c.DatasetNames.Count == 0)
            check.Fail("dataset", $"is required when do_train is true; expected {ConfigKeys.ExpectedFor("dataset")}");
        if (c.EvalDataset is not null && c.ValSize > 0)
            check.Fail("val_size", "cannot be used together with eval_dataset (as in LLaMA-Factory); keep one");

        // output
        check.NotBlank("output_dir", c.OutputDir);
        check.Range("logging_steps", c.LoggingSteps, c.LoggingSteps >= 1);
        check.NotBlank("logging_dir", c.LoggingDir);
        check.Range("save_steps", c.SaveSteps, c.SaveSteps >= 1);
        if (c.SaveTotalLimit is { } limit)
            check.Range("save_total_limit", limit, limit >= 1);

        // train
        check.Range("per_device_train_batch_size", c.PerDeviceTrainBatchSize, c.PerDeviceTrainBatchSize is >= 1 and <= JobLimits.MaxPerDeviceBatchSize);
        check.Range("gradient_accumulation_steps", c.GradientAccumulationSteps, c.GradientAccumulationSteps is >= 1 and <= JobLimits.MaxGradientAccumulationSteps);
        CheckBatchAndWorlds(c, check);
        check.Range("gradient_checkpointing_every", c.GradientCheckpointingEvery, c.GradientCheckpointingEvery >= 1);
        check.Range("learning_rate", c.LearningRate, c.LearningRate > 0);
        check.Range("num_train_epochs", c.NumTrainEpochs, c.NumTrainEpochs > 0);
        check.Range("max_steps", c.MaxSteps, c.MaxSteps == -1 || c.MaxSteps >= 1);
        check.Range("warmup_ratio", c.WarmupRatio, c.WarmupRatio is >= 0 and <= 1);
        check.Range("warmup_steps", c.WarmupSteps, c.WarmupSteps >= 0);
        check.Range("weight_decay", c.WeightDecay, c.WeightDecay >= 0);
        check.Range("max_grad_norm", c.MaxGradNorm, c.MaxGradNorm >= 0);
        check.Range("adam_beta1", c.AdamBeta1, c.AdamBeta1 is >= 0 and < 1);
        check.Range("adam_beta2", c.AdamBeta2, c.AdamBeta2 is >= 0 and < 1);
        check.Range("adam_epsilon", c.AdamEpsilon, c.AdamEpsilon > 0);
        check.NotBlank("resume_from_checkpoint", c.ResumeFromCheckpoint);

        // eval
        check.Range("per_device_eval_batch_size", c.PerDeviceEvalBatchSize, c.PerDeviceEvalBatchSize >= 1);
        if (c.EvalSteps is { } evalSteps)
            check.Range("eval_steps", evalSteps, evalSteps >= 1);
        if (c.EarlyStoppingSteps is { } patience)
            check.Range("early_stopping_steps", patience, patience >= 1);
        if (c.EvalStrategy != EvalStrategy.No && c.EvalDataset is null && c.ValSize == 0)
            check.Fail("eval_strategy", $"is '{Spellings.Eval.Name(c.EvalStrategy)}' but there is nothing to evaluate on; set eval_dataset or val_size");
        if (c.EarlyStoppingSteps is not null && c.EvalStrategy == EvalStrategy.No)
            check.Fail("early_stopping_steps", "needs evaluations; set eval_strategy: steps or epoch (and eval_dataset or val_size)");
    }

    /// <summary>The global batch is bounded, and the elastic range holds only world sizes the batch can split over.</summary>
    private static void CheckBatchAndWorlds(JobConfig c, Checker check)
    {
        long global = JobLimits.GlobalBatch(c.PerDeviceTrainBatchSize, c.GradientAccumulationSteps, c.WorldSize);
        var product = $"per_device_train_batch_size {c.PerDeviceTrainBatchSize} x gradient_accumulation_steps {c.GradientAccumulationSteps} " +
                      $"x world_size {c.WorldSize}";
        if (global > JobLimits.MaxGlobalBatch)
            check.Fail("gradient_accumulation_steps", $"{product} is a global batch of {global} samples; accepted: at most {JobLimits.MaxGlobalBatch}");
        if (c.MaxWorldSize is int max && max > global)
            check.Fail("max_world_size", $"{max} is more ranks than the global batch has samples ({product} = {global}); " +
                $"accepted: at most {global}, or a larger global batch");
        if (c.MinWorldSize is int min && global % min != 0)
        {
            var (_, top) = c.WorldRange;
            var inRange = BatchSplit.ValidWorldSizes(global, min, top);
            check.Fail("min_world_size", $"{min} can never be reached: the global batch of {global} samples ({product}) splits evenly " +
                $"only over {BatchSplit.List(BatchSplit.ValidWorldSizes(global, 1, (int)Math.Min(global, JobLimits.MaxWorldSize)))} rank(s); " +
                $"accepted in [{min}, {top}]: {BatchSplit.List(inRange)}");
        }
    }

    private static void CheckLoraTarget(string target, Checker check)
    {
        if (target.Trim() == "all")
            return;
        var modules = target.Split(',', StringSplitOptions.TrimEntries);
        foreach (var module in modules)
        {
            if (!JobConfig.LoraModuleNames.Contains(module))
                check.Fail("lora_target", $"{InputText.Quote(module)} is not a module LoRA can wrap; expected {ConfigKeys.ExpectedFor("lora_target")}");
        }
    }

    private static bool IsDevice(string device) =>
        device is "cpu" or "cuda"
        || (device.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(device.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out _));

    /// <summary>Builds messages that point at the key's source and quote what it accepts.</summary>
    private sealed class Checker(Func<string, (string Source, int? Line)> where)
    {
        public void Range(string key, double value, bool ok)
        {
            if (!ok)
                Fail(key, $"{YamlText.Double(value)} is out of range; expected {ConfigKeys.ExpectedFor(key)}");
        }

        public void Range(string key, int value, bool ok)
        {
            if (!ok)
                Fail(key, $"{value.ToString(CultureInfo.InvariantCulture)} is out of range; expected {ConfigKeys.ExpectedFor(key)}");
        }

        public void NotBlank(string key, string? value)
        {
            if (value is not null && string.IsNullOrWhiteSpace(value))
                Fail(key, $"is missing or empty; expected {ConfigKeys.ExpectedFor(key)}");
        }

        public void Fail(string key, string problem)
        {
            var (source, line) = where(key);
            throw new ConfigException(source, line, key, problem);
        }
    }
}
