using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Athanor.Training;

/// <summary>
/// The loop's own state, saved with each checkpoint as trainer_state.json: where it is (optimizer step and
/// global sample position), the RNG, the early-stopping bookkeeping and the metric history.
/// </summary>
public sealed class TrainingState
{
    public const string FileName = "trainer_state.json";

    [JsonPropertyName("step")] public int Step { get; set; }
    [JsonPropertyName("sample_position")] public long SamplePosition { get; set; }
    [JsonPropertyName("total_steps")] public int TotalSteps { get; set; }
    [JsonPropertyName("global_batch")] public int GlobalBatch { get; set; }
    [JsonPropertyName("seed")] public long Seed { get; set; }
    [JsonPropertyName("train_samples")] public long TrainSamples { get; set; }
    [JsonPropertyName("world_size")] public int WorldSize { get; set; } = 1;
    [JsonPropertyName("zero_stage")] public int ZeroStage { get; set; }
    /// <summary>Each rank's LoRA dropout RNG state (base64), restored when resuming at the same world size.</summary>
    [JsonPropertyName("dropout_rng_states")] public List<string> DropoutRngStates { get; set; } = [];
    [JsonPropertyName("best_eval_loss")] public double? BestEvalLoss { get; set; }
    [JsonPropertyName("evals_without_improvement")] public int EvalsWithoutImprovement { get; set; }
    [JsonPropertyName("stopped_early")] public bool StoppedEarly { get; set; }
    [JsonPropertyName("log_history")] public List<JsonObject> LogHistory { get; set; } = [];

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    public static TrainingState Read(string path) =>
        JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(path))
        ?? throw new InvalidDataException($"{path}: empty trainer state");
}
