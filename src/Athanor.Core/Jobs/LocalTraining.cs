using Athanor.Configuration;
using Athanor.Native;
using Athanor.Parallel;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Jobs;

/// <summary>
/// Runs a job on this machine with worldSize data-parallel ranks, one thread each, joined by the TCP ring
/// collective over loopback: the same data path as ranks on different machines. The data is prepared once
/// and shared; each rank builds its own model (rank 0's weights are broadcast to the others).
/// </summary>
public static class LocalTraining
{
    public static TrainingResult Run(JobConfig config, int worldSize, int zeroStage, ITrainingObserver observer, Action<string> log, CancellationToken cancel)
    {
        if (worldSize < 1) throw new JobException($"world size {worldSize}: accepted: 1 or more");
        if (zeroStage is < 0 or > 2) throw new JobException($"zero stage {zeroStage}: accepted on this build: 0, 1, 2");
        var inputs = JobPreparation.PrepareInputs(config, log);
        var settings = JobPreparation.MapSettings(config, inputs.Data.Train.Count, worldSize, zeroStage);
        // Ranks share the cores: give each its slice so they do not oversubscribe them.
        int threads = Math.Max(1, (config.Threads ?? Environment.ProcessorCount) / worldSize);
        TorchRuntime.Initialize(threads);
        log($"{inputs.Data.Train.Count} training samples, {inputs.Data.Validation.Count} validation; global batch {settings.GlobalBatch} " +
            $"= {settings.MicroBatchSize} x {settings.GradientAccumulation} accumulation x {worldSize} ranks; ZeRO stage {zeroStage}; output {config.OutputDir}");
        JobOutputs.WriteEffectiveConfig(config);

        if (worldSize == 1) return RunRank(config, inputs, settings, null, observer, log, cancel);

        var group = new LocalGroup(worldSize);
        var results = new TrainingResult?[worldSize];
        var errors = new Exception?[worldSize];
        var ranks = Enumerable.Range(0, worldSize).Select(rank => new Thread(() =>
        {
            ICollective? collective = null;
            try
            {
                collective = group.Join(rank);
                results[rank] = RunRank(config, inputs, settings, collective, observer, rank == 0 ? log : _ => { }, cancel);
            }
            catch (Exception ex)
            {
                errors[rank] = ex;
                collective?.Abort($"rank {rank} failed: {ex.Message}"); // the others fail fast instead of waiting
            }
            finally { collective?.Dispose(); }
        }) { Name = $"athanor-rank-{rank}", IsBackground = true }).ToList();
        ranks.ForEach(t => t.Start());
        ranks.ForEach(t => t.Join());
        // The first failure that is not a consequence of another rank's abort explains the run.
        var root = errors.FirstOrDefault(e => e is not null and not CollectiveException) ?? errors.FirstOrDefault(e => e is not null);
        if (root is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(root).Throw();
        return results[0]!;
    }

    private static TrainingResult RunRank(JobConfig config, JobPreparation.SharedInputs inputs, TrainerSettings settings, ICollective? group,
        ITrainingObserver observer, Action<string> log, CancellationToken cancel)
    {
        var (model, lora) = JobPreparation.BuildModel(config, inputs.ModelConfig, log);
        using (model)
        {
            var trainer = new Trainer(model, lora, inputs.Data, settings, observer, group)
            {
                ExtraEvaluation = (group?.Rank ?? 0) == 0 ? TrainingEvalHook.Create(config, inputs.Tokenizer) : null,
            };
            var result = trainer.Run(cancel);
            if ((group?.Rank ?? 0) == 0 && !result.Cancelled)
                JobOutputs.WriteFinal(config, model, lora);
            return result;
        }
    }
}
