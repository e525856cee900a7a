using System.Text.Json.Nodes;
using Athanor.Telemetry.TensorBoard;

namespace Athanor.Tests.Telemetry.TensorBoard;

public class MetricsScalarsTests
{
    [Fact]
    public void TrainRowTakesHuggingFaceTrainerTagNames()
    {
        var row = new JsonObject
        {
            ["step"] = 20, ["epoch"] = 0.5, ["loss"] = 1.25, ["lr"] = 3e-5, ["grad_norm"] = 0.75,
            ["tokens_per_s"] = 1234.5, ["mfu"] = 0.41, ["gpu_mem_gib"] = 12.5,
        };

        var (step, scalars) = MetricsScalars.FromRow(row);

        Assert.Equal(20, step);
        Assert.Equal<(string, float)>(
            [("train/epoch", 0.5f), ("train/loss", 1.25f), ("train/learning_rate", 3e-5f), ("train/grad_norm", 0.75f),
             ("train/tokens_per_s", 1234.5f), ("train/mfu", 0.41f), ("train/gpu_mem_gib", 12.5f)],
            scalars);
    }

    [Fact]
    public void EvalRowDropsTheEvalPrefixAndSkipsWhatIsNotANumber()
    {
        var row = JsonNode.Parse("""{"step": 40, "eval_loss": 0.9, "eval_tokens": 5000, "eval_mmlu_accuracy": 0.25, "note": "x", "flag": true}""")!.AsObject();

        var (step, scalars) = MetricsScalars.FromRow(row);

        Assert.Equal(40, step);
        Assert.Equal<(string, float)>([("eval/loss", 0.9f), ("eval/tokens", 5000f), ("eval/mmlu_accuracy", 0.25f)], scalars);
    }

    [Fact]
    public void InMemoryIntegersAndLongsAreNumbersToo()
    {
        var row = new JsonObject { ["step"] = 7L, ["eval_loss"] = 2.0, ["eval_tokens"] = 123L, ["count"] = 4 };

        Assert.Equal<(string, float)>([("eval/loss", 2f), ("eval/tokens", 123f), ("train/count", 4f)], MetricsScalars.FromRow(row).Scalars);
        Assert.Equal(7, MetricsScalars.StepOf(row));
    }
}
