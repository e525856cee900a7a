using Athanor.Configuration;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Tokenization;
using Athanor.Training;

namespace Athanor.Jobs;

/// <summary>Everything a training run needs, loaded and checked: ready to train.</summary>
public sealed class PreparedJob(JobConfig config, ITokenizer tokenizer, CausalLM model, LoraSettings? lora,
    TrainingData data, TrainerSettings settings) : IDisposable
{
    public JobConfig Config { get; } = config;
    public ITokenizer Tokenizer { get; } = tokenizer;
    public CausalLM Model { get; } = model;
    public LoraSettings? Lora { get; } = lora;
    public TrainingData Data { get; } = data;
    public TrainerSettings Settings { get; } = settings;

    public int TotalSteps => Settings.TotalSteps(Data.Train.Count);

    public long TrainableParameters => Model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());

    public void Dispose() => Model.Dispose();
}
