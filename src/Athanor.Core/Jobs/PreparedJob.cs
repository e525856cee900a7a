using Athanor.Configuration;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Parallel.Sharding;
using Athanor.Tokenization;
using Athanor.Training;

namespace Athanor.Jobs;

/// <summary>Everything a training run needs, loaded and checked: ready to train.</summary>
public sealed class PreparedJob(JobConfig config, ITokenizer tokenizer, CausalLM model, LoraSettings? lora,
    TrainingData data, TrainerSettings settings, DeferredWeights? deferred = null) : IDisposable
{
    public JobConfig Config { get; } = config;
    public ITokenizer Tokenizer { get; } = tokenizer;
    public CausalLM Model { get; } = model;
    public LoraSettings? Lora { get; } = lora;
    public TrainingData Data { get; } = data;
    public TrainerSettings Settings { get; } = settings;
    /// <summary>ZeRO-3: the model is on the meta device and the trainer materializes it from here.</summary>
    public DeferredWeights? Deferred { get; } = deferred;

    public int TotalSteps => Settings.TotalSteps(Data.Train.Count);

    public long TrainableParameters => Model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());

    public void Dispose() => Model.Dispose();
}
