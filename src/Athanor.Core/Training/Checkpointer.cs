using Athanor.Checkpoints;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Parallel;
using Athanor.Parallel.Sharding;
using Athanor.Telemetry;
using static TorchSharp.torch;

namespace Athanor.Training;

/// <summary>
/// The trainer's checkpoints: which one a run resumes from, saving weights (streamed one unit at a time under ZeRO-3),
/// optimizer slices and trainer state atomically, and restoring them at any world size and stage.
/// </summary>
internal sealed class Checkpointer(CausalLM model, LoraSettings? lora, TrainerSettings settings, ICollective group,
    ITrainingObserver observer, Generator? dropoutRng, long trainSamples)
{
    private readonly CheckpointStore _store = new(settings.OutputDir);
    private bool Leader => group.Rank == 0;

    /// <summary>Set once the loop starts: the run's telemetry, and ZeRO-3's sharding if any.</summary>
    public TrainingRecorder Telemetry { get; set; } = null!;
    public ParameterSharding? Sharding { get; set; }

    public string FolderFor(int step) => _store.FolderFor(step);

    /// <summary>
    /// The checkpoint this run resumes from (resume_from_checkpoint), or null for a fresh start; a fresh start over an
    /// earlier run's checkpoints is refused unless overwrite_output_dir says so.
    /// </summary>
    public string? ResumeFolder()
    {
        var resumedFrom = _store.Resolve(settings.ResumeFrom, settings.JobId);
        if (resumedFrom is null && !settings.OverwriteOutputDir && _store.Complete() is { Count: > 0 } earlier)
            // A fresh start would write checkpoint-N over an earlier run's checkpoint-N: nothing written is lost unasked.
            throw new ArgumentException($"output_dir {settings.OutputDir} already holds checkpoints of an earlier run " +
                $"({string.Join(", ", earlier.Select(c => Path.GetFileName(c.Folder)))}); accepted: resume_from_checkpoint: auto to continue it, " +
                "overwrite_output_dir: true to start over there, or another output_dir");
        return resumedFrom;
    }

    /// <summary>Whether the loop saves after the state's step: every save_steps, and at the run's end.</summary>
    public bool Due(TrainingState state) =>
        settings.SaveCheckpoints && (state.Step % settings.SaveSteps == 0 || state.Step == state.TotalSteps || state.StoppedEarly);

    /// <summary>Whether a stopped run still needs a checkpoint of its last completed step.</summary>
    public bool DueOnStop(TrainingState state, string? lastCheckpoint) =>
        settings.SaveCheckpoints && state.Step > 0 && lastCheckpoint != _store.FolderFor(state.Step);

    public string Save(TrainingState state, IDataParallelOptimizer optimizer)
    {
        using var phase = Telemetry.Phase(TrainingPhase.Checkpoint);
        state.DropoutRngStates = GatherRngStates();
        var folder = _store.FolderFor(state.Step);
        if (Leader) _store.Prepare(state.Step);
        group.Barrier();
        SaveModel(folder);
        if (!settings.SaveOnlyModel) optimizer.SaveState(folder);
        if (Leader) IO.DurableFile.WriteAllText(Path.Combine(folder, TrainingState.FileName), state.ToJson());
        group.Barrier();
        if (Leader)
        {
            _store.Commit(state.Step, lora is null ? "full" : "lora", settings.JobId);
            observer.OnCheckpoint(state.Step, folder);
            if (settings.SaveTotalLimit is int keep)
                foreach (var removed in _store.Prune(keep))
                    observer.OnMessage($"removed {removed} (save_total_limit {keep})");
        }
        group.Barrier();
        Telemetry.CheckpointDone(folder, phase.Seconds);
        return folder;
    }

    /// <summary>
    /// The weights (full fine-tuning) or adapters (LoRA). Stages 0-2 replicate the parameters, so the leader writes
    /// them. ZeRO-3: every rank takes part in gathering one layer at a time, and the leader streams them to disk.
    /// </summary>
    private void SaveModel(string folder)
    {
        if (Sharding is null)
        {
            if (!Leader) return;
            if (lora is null) ModelWeights.Save(model, folder);
            else PeftAdapter.Save(model, lora, folder, settings.BaseModelNameOrPath);
            return;
        }
        if (lora is null)
        {
            var tensors = Sharding.HostTensors(_ => true);
            if (Leader) ModelWeights.Save(model.Config, folder, tensors, disposeInputs: true);
            else foreach (var t in tensors) t.Value.Dispose();
            return;
        }
        using (Sharding.GatherTrainable())
            if (Leader) PeftAdapter.Save(model, lora, folder, settings.BaseModelNameOrPath);
    }

    /// <summary>Every rank's dropout RNG state, gathered to all (the leader writes them); empty without dropout.</summary>
    private List<string> GatherRngStates()
    {
        if (dropoutRng is null) return [];
        using var rng = dropoutRng.get_state();
        if (group.WorldSize == 1) return [Convert.ToBase64String(rng.bytes)];
        using var mine = rng.to_type(ScalarType.Float32);
        using var all = zeros(mine.numel() * group.WorldSize);
        group.AllGather(mine, all);
        using var bytes = all.to_type(ScalarType.Byte);
        long size = mine.numel();
        return Enumerable.Range(0, group.WorldSize)
            .Select(r => { using var part = bytes.narrow(0, r * size, size); return Convert.ToBase64String(part.bytes); })
            .ToList();
    }

    /// <summary>The saved training state, checked against this run (same global batch and data).</summary>
    public TrainingState ReadSavedState(string folder)
    {
        var state = TrainingState.Read(Path.Combine(folder, TrainingState.FileName));
        if (state.GlobalBatch != settings.GlobalBatch)
            throw new ArgumentException($"{folder}: saved with a global batch of {state.GlobalBatch}, this run has {settings.GlobalBatch} " +
                "(per_device_train_batch_size x gradient_accumulation_steps x world size); keep the global batch to resume " +
                $"({ResumeHint.KeepGlobalBatch(state.GlobalBatch, settings.MicroBatchSize, settings.WorldSize)})");
        if (state.TrainSamples != trainSamples)
            throw new ArgumentException($"{folder}: saved with {state.TrainSamples} training samples, this run has {trainSamples}; resume with the same data");
        return state;
    }

    public void LoadWeights(string folder)
    {
        if (lora is null) ModelWeights.Load(model, folder);
        else PeftAdapter.LoadWeights(model, folder);
    }

    public TrainingState Restore(string folder, TrainingState state, IDataParallelOptimizer optimizer, int totalSteps)
    {
        if (File.Exists(Path.Combine(folder, OptimizerState.LayoutFile))) optimizer.LoadState(folder, state.Step);
        else
        {
            // save_only_model: the weights, data position and schedule continue; Adam's moments start again from zero.
            optimizer.StepCount = state.Step;
            observer.OnMessage($"{folder} holds no optimizer state (save_only_model): the optimizer's moments start from zero");
        }
        // Dropout masks continue exactly when the world size is unchanged; otherwise each rank reseeds deterministically.
        if (dropoutRng is not null)
        {
            if (state.DropoutRngStates.Count == group.WorldSize)
                using (var rng = tensor(Convert.FromBase64String(state.DropoutRngStates[group.Rank]), dtype: ScalarType.Byte))
                    dropoutRng.set_state(rng);
            else dropoutRng.manual_seed(settings.Seed + 1 + state.Step * 1000L + group.Rank);
        }
        observer.OnMessage($"resumed from {folder} at step {state.Step}" +
            (state.WorldSize != group.WorldSize ? $" (saved at world size {state.WorldSize}, ZeRO {state.ZeroStage}; now {group.WorldSize}, ZeRO {settings.ZeroStage})" : ""));
        state.TotalSteps = totalSteps;
        state.WorldSize = group.WorldSize;
        state.ZeroStage = settings.ZeroStage;
        return state;
    }
}
