using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Athanor.Telemetry.TensorBoard;

/// <summary>
/// A metrics.jsonl row as TensorBoard scalars, with Hugging Face Trainer's tag names: eval_X becomes eval/X,
/// every other numeric field train/X (lr as train/learning_rate), so Athanor's curves sit beside a
/// transformers run's in one TensorBoard.
/// </summary>
public static class MetricsScalars
{
    /// <summary>The row's step and its numeric fields as (tag, value); non-numeric fields and the step itself are left out.</summary>
    public static (long Step, List<(string Tag, float Value)> Scalars) FromRow(JsonObject row)
    {
        long step = StepOf(row);
        var scalars = new List<(string, float)>(row.Count);
        foreach (var (key, node) in row)
        {
            if (key == "step" || node is not JsonValue value || Number(value) is not double number)
                continue;
            scalars.Add((Tag(key), (float)number));
        }
        return (step, scalars);
    }

    /// <summary>The row's step; 0 when it has none.</summary>
    public static long StepOf(JsonObject row) => row["step"] is JsonValue s && Number(s) is double d ? (long)d : 0;

    /// <summary>Hugging Face's tag for a metrics key.</summary>
    public static string Tag(string key) => key switch
    {
        "lr" => "train/learning_rate",
        _ when key.StartsWith("eval_", StringComparison.Ordinal) => "eval/" + key["eval_".Length..],
        _ => "train/" + key,
    };

    // Rows built in memory hold double, int or long values; rows read back from trainer_state.json hold JSON elements.
    private static double? Number(JsonValue value)
    {
        if (value.GetValueKind() != JsonValueKind.Number) return null;
        if (value.TryGetValue(out double d)) return d;
        if (value.TryGetValue(out long l)) return l;
        if (value.TryGetValue(out int i)) return i;
        if (value.TryGetValue(out float f)) return f;
        return double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);
    }
}
