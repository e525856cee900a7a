using System.Diagnostics;
using System.Text.Json.Nodes;
using Athanor.Checkpoints;
using Athanor.Data;
using Athanor.Data.Sampling;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Parallel;
using Athanor.Parallel.Sharding;
using Athanor.Telemetry;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Training;

/// <summary>
/// The trainer's checkpoints: saving weights (streamed one unit at a time under ZeRO-3), optimizer slices and
/// trainer state atomically, and restoring them at any world size and stage, including the ZeRO-3 materialization
/// that a resumed full fine-tune takes from its checkpoint.
/// </summary>
public sealed partial class Trainer
{
    private string Save(TrainingState state, IDataParallelOptimizer optimizer)
    {
        using var phase = _telemetry.Phase(TrainingPhase.Checkpoint);
        state.DropoutRngStates = GatherRngStates();
        var folder = _store.FolderFor(state.Step);
        if (_leader) _store.Prepare(state.Step);
        _group.Barrier();
        SaveModel(folder);
        if (!_settings.SaveOnlyModel) optimizer.SaveState(folder);
        if (_leader) IO.DurableFile.WriteAllText(Path.Combine(folder, TrainingState.FileName), state.ToJson());
        _group.Barrier();
        if (_leader)
        {
            _store.Commit(state.Step, _lora is null ? "full" : "lora", _settings.JobId);
            _observer.OnCheckpoint(state.Step, folder);
            if (_settings.SaveTotalLimit is int keep)
                foreach (var removed in _store.Prune(keep))
                    _observer.OnMessage($"removed {removed} (save_total_limit {keep})");
        }
        _group.Barrier();
        _telemetry.CheckpointDone(folder, phase.Seconds);
        return folder;
    }

    /// <summary>
    /// The weights (full fine-tuning) or adapters (LoRA). Stages 0-2 replicate the parameters, so the leader writes
    /// them. ZeRO-3: every rank takes part in gathering one layer at a time, and the leader streams them to disk.
    /// </summary>
    private void SaveModel(string folder)
    {
        if (_sharding is null)
        {
            if (!_leader) return;
            if (_lora is null) ModelWeights.Save(_model, folder);
            else PeftAdapter.Save(_model, _lora, folder, _settings.BaseModelNameOrPath);
            return;
        }
        if (_lora is null)
        {
            var tensors = _sharding.HostTensors(_ => true);
            if (_leader) ModelWeights.Save(_model.Config, folder, tensors, disposeInputs: true);
            else foreach (var t in tensors) t.Value.Dispose();
            return;
        }
        using (_sharding.GatherTrainable())
            if (_leader) PeftAdapter.Save(_model, _lora, folder, _settings.BaseModelNameOrPath);
    }

    /// <summary>Every rank's dropout RNG state, gathered to all (the leader writes them); empty without dropout.</summary>
    private List<string> GatherRngStates()
    {
        if (_dropoutRng is null) return [];
        using var rng = _dropoutRng.get_state();
        if (_group.WorldSize == 1) return [Convert.ToBase64String(rng.bytes)];
        using var mine = rng.to_type(ScalarType.Float32);
        using var all = zeros(mine.numel() * _group.WorldSize);
        _group.AllGather(mine, all);
        using var bytes = all.to_type(ScalarType.Byte);
        long size = mine.numel();
        return Enumerable.Range(0, _group.WorldSize)
            .Select(r => { using var part = bytes.narrow(0, r * size, size); return Convert.ToBase64String(part.bytes); })
            .ToList();
    }

    /// <summary>ZeRO-3: shards the whole model, or materializes a meta-device one from its source (a checkpoint when resuming a full fine-tune).</summary>
    private ParameterSharding Shard(Func<string, TorchSharp.Modules.Parameter, bool> takesDecay, string? resumedFrom)
    {
        int recompute = _settings.Zero3RecomputeEvery;
        bool prefetch = _settings.Switches.Zero3Prefetch;
        if (Deferred is not { } deferred) return new ParameterSharding(_model, _group, takesDecay, recompute) { Prefetch = prefetch };
        var source = resumedFrom is not null && _lora is null ? new SafetensorsSource(resumedFrom) : deferred.Source;
        try { return ParameterSharding.Materialize(_model, _group, takesDecay, source, deferred.Device, deferred.Dtype, recompute, prefetch); }
        finally
        {
            (source as IDisposable)?.Dispose();
            if (!ReferenceEquals(source, deferred.Source)) (deferred.Source as IDisposable)?.Dispose();
        }
    }

    /// <summary>The saved training state, checked against this run (same global batch and data).</summary>
    private TrainingState ReadSavedState(string folder)
    {
        var state = TrainingState.Read(Path.Combine(folder, TrainingState.FileName));
        if (state.GlobalBatch != _settings.GlobalBatch)
            throw new ArgumentException($"{folder}: saved with a global batch of {state.GlobalBatch}, this run has {_settings.GlobalBatch} " +
                "(per_device_train_batch_size x gradient_accumulation_steps x world size); keep the global batch to resume " +
                $"({ResumeHint.KeepGlobalBatch(state.GlobalBatch, _settings.MicroBatchSize, _settings.WorldSize)})");
        if (state.TrainSamples != _data.Train.Count)
            throw new ArgumentException($"{folder}: saved with {state.TrainSamples} training samples, this run has {_data.Train.Count}; resume with the same data");
        return state;
    }

    private void LoadWeights(string folder)
    {
        if (_lora is null) ModelWeights.Load(_model, folder);
        else PeftAdapter.LoadWeights(_model, folder);
    }

    private TrainingState Restore(string folder, TrainingState state, IDataParallelOptimizer optimizer, int totalSteps)
    {
        if (File.Exists(Path.Combine(folder, OptimizerState.LayoutFile))) optimizer.LoadState(folder, state.Step);
        else
        {
            // save_only_model: the weights, data position and schedule continue; Adam's moments start again from zero.
            optimizer.StepCount = state.Step;
            _observer.OnMessage($"{folder} holds no optimizer state (save_only_model): the optimizer's moments start from zero");
        }
        // Dropout masks continue exactly when the world size is unchanged; otherwise each rank reseeds deterministically.
        if (_dropoutRng is not null)
        {
            if (state.DropoutRngStates.Count == _group.WorldSize)
                using (var rng = tensor(Convert.FromBase64String(state.DropoutRngStates[_group.Rank]), dtype: ScalarType.Byte))
                    _dropoutRng.set_state(rng);
            else _dropoutRng.manual_seed(_settings.Seed + 1 + state.Step * 1000L + _group.Rank);
        }
        _observer.OnMessage($"resumed from {folder} at step {state.Step}" +
            (state.WorldSize != _group.WorldSize ? $" (saved at world size {state.WorldSize}, ZeRO {state.ZeroStage}; now {_group.WorldSize}, ZeRO {_settings.ZeroStage})" : ""));
        state.TotalSteps = totalSteps;
        state.WorldSize = _group.WorldSize;
        state.ZeroStage = _settings.ZeroStage;
        return state;
    }
}
