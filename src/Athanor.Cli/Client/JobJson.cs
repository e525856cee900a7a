using System.Text.Json;
using System.Text.Json.Nodes;
using Athanor.Protocol.V1;

namespace Athanor.Cli.Client;

/// <summary>Jobs and nodes as JSON for scripts: snake_case keys, states as in docs/cli.md, null for "not yet".</summary>
public static class JobJson
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string? Time(Google.Protobuf.WellKnownTypes.Timestamp? t) =>
        t?.ToDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static JsonObject Job(Job j) => new()
    {
        ["id"] = j.Id,
        ["name"] = j.Name,
        ["state"] = JobText.StateName(j.State),
        ["step"] = j.Step,
        ["max_steps"] = j.MaxSteps,
        ["world_size"] = j.WorldSize,
        ["attempts"] = j.Attempts,
        ["last_checkpoint_step"] = j.HasLastCheckpointStep ? j.LastCheckpointStep : null,
        ["metrics"] = Metrics(j.Metrics),
        ["created_at"] = Time(j.CreatedAt),
        ["updated_at"] = Time(j.UpdatedAt),
        ["error"] = j.Error.Length > 0 ? j.Error : null,
        ["output_dir"] = j.OutputDir,
        ["waiting_reason"] = j.WaitingReason.Length > 0 ? j.WaitingReason : null,
    };

    public static JsonObject Metrics(Metrics? m) => new()
    {
        ["loss"] = m?.HasLoss == true ? m.Loss : null,
        ["lr"] = m?.HasLr == true ? m.Lr : null,
        ["grad_norm"] = m?.HasGradNorm == true ? m.GradNorm : null,
        ["tokens_per_s"] = m?.HasTokensPerS == true ? m.TokensPerS : null,
        ["eval_loss"] = m?.HasEvalLoss == true ? m.EvalLoss : null,
        ["epoch"] = m?.HasEpoch == true ? m.Epoch : null,
    };

    public static JsonObject Node(Athanor.Protocol.V1.Node n) => new()
    {
        ["id"] = n.Id,
        ["address"] = n.Address,
        ["roles"] = new JsonArray(n.Roles.Select(r => (JsonNode?)JsonValue.Create(r)).ToArray()),
        ["health"] = n.Health.ToString(),
        ["devices"] = new JsonArray(n.Devices.Select(d => (JsonNode?)new JsonObject
        {
            ["kind"] = d.Kind, ["index"] = d.Index, ["name"] = d.Name, ["memory_bytes"] = d.MemoryBytes,
        }).ToArray()),
        ["joined_at"] = Time(n.JoinedAt),
        ["running_jobs"] = n.RunningJobs,
    };

    public static string Write(JsonNode node) => node.ToJsonString(Indented);

    public static string Array(IEnumerable<JsonObject> items) => Write(new JsonArray(items.Select(i => (JsonNode?)i).ToArray()));
}
