using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Athanor.Estimation;

/// <summary>Everything `cluster estimate` reports, as text for people or one JSON object (sizes in GB = 1e9 bytes).</summary>
public sealed record EstimateReport(MemoryEstimate Estimate, GpuType Gpu, double GpuMemoryGiB, Recommendation Recommendation,
    EpochEstimate? Epoch, ShardingPlan? Sharding)
{
    public double GpuMemoryBytes => GpuMemoryGiB * (1L << 30);
    public bool Fits => Estimate.Fits(GpuMemoryBytes);
    /// <summary>Fits, but above <see cref="PlanRecommender.HeadroomShare"/> of the GPU: likely to run out in practice.</summary>
    public bool Tight => Fits && Estimate.TotalBytes > PlanRecommender.HeadroomShare * GpuMemoryBytes;

    private static double Gb(double bytes) => Math.Round(bytes / 1e9, 3);
    private static string G(double bytes) => (bytes / 1e9).ToString("0.00", CultureInfo.InvariantCulture);
    private static string Inv(FormattableString s) => FormattableString.Invariant(s);

    /// <summary>The phase as the report names it: loss, backward-first-layer, backward-last-layer, optimizer-step.</summary>
    public static string PhaseName(PeakPhase phase) => phase switch
    {
        PeakPhase.Loss => "loss",
        PeakPhase.BackwardFirstLayer => "backward-first-layer",
        PeakPhase.BackwardLastLayer => "backward-last-layer",
        _ => "optimizer-step",
    };

    public JsonObject ToJson()
    {
        var e = Estimate;
        var p = e.Plan;
        var s = e.Model.Shape;
        var o = new JsonObject
        {
            ["model"] = e.Model.Name,
            ["model_description"] = e.Model.Description,
            ["shape"] = new JsonObject
            {
                ["hidden"] = s.Hidden, ["layers"] = s.Layers, ["heads"] = s.Heads, ["kv_heads"] = s.KvHeads,
                ["head_dim"] = s.HeadDim, ["ffn"] = s.Intermediate, ["vocab"] = s.Vocab, ["inferred"] = e.Model.ShapeInferred,
            },
            ["params"] = e.Model.Parameters,
            ["trained_params"] = e.TrainedParameters,
            ["method"] = TrainingPlan.MethodName(p.Method),
            ["zero"] = p.ZeroStage,
            ["gpus"] = p.Gpus,
            ["seq"] = p.Sequence,
            ["batch"] = p.Batch,
            ["grad_ckpt"] = p.GradientCheckpointing,
            ["offload"] = p.Offload,
            ["grad_dtype"] = p.GradientBytes == 4 ? "fp32" : "bf16",
            ["lora_rank"] = p.TrainsAdapters ? p.LoraRank : null,
            ["weights_gb"] = Gb(e.WeightBytes),
            ["gradients_gb"] = Gb(e.GradientBytes),
            ["optimizer_gb"] = Gb(e.OptimizerBytes),
            ["model_states_gb"] = Gb(e.ModelStateBytes),
            ["activations_gb"] = Gb(e.ActivationBytes),
            ["buffers_gb"] = Gb(e.BufferBytes),
            ["optimizer_buffers_gb"] = Gb(e.OptimizerBufferBytes),
            ["working_gb"] = Gb(e.WorkingBytes),
            ["zero3_gather_gb"] = Gb(e.GatherBytes),
            ["workspace_gb"] = Gb(e.WorkspaceBytes),
            ["peak_phase"] = PhaseName(e.Phase),
            ["total_gb"] = Gb(e.TotalBytes),
            ["gpu"] = Gpu.Name,
            ["gpu_mem_gib"] = GpuMemoryGiB,
            ["gpu_mem_gb"] = Gb(GpuMemoryBytes),
            ["fits"] = Fits,
            ["tight"] = Tight,
            ["host_gb_per_rank"] = Gb(e.HostBytesPerRank),
            ["host_gb_total"] = Gb(e.HostBytesTotal),
            ["recommendation"] = RecommendationJson(),
        };
        if (Epoch is { } ep) o["epoch"] = EpochJson(ep);
        if (Sharding is { } sh) o["sharding_plan"] = ShardingJson(sh);
        return o;
    }

    private JsonObject RecommendationJson()
    {
        var r = Recommendation;
        var e = r.Estimate;
        return new JsonObject
        {
            ["summary"] = r.Summary(),
            ["as_given"] = r.AsGiven,
            ["fits"] = r.Fits,
            ["changes"] = new JsonArray(r.Changes.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
            ["flags"] = e.Plan.Flags(),
            ["gradient_accumulation"] = e.Plan.Accumulation,
            ["weights_gb"] = Gb(e.WeightBytes),
            ["gradients_gb"] = Gb(e.GradientBytes),
            ["optimizer_gb"] = Gb(e.OptimizerBytes),
            ["model_states_gb"] = Gb(e.ModelStateBytes),
            ["activations_gb"] = Gb(e.ActivationBytes),
            ["buffers_gb"] = Gb(e.BufferBytes),
            ["total_gb"] = Gb(e.TotalBytes),
            ["host_gb_per_rank"] = Gb(e.HostBytesPerRank),
        };
    }

    private static JsonObject EpochJson(EpochEstimate ep) => new()
    {
        ["tokens"] = ep.Tokens,
        ["mfu"] = ep.Mfu,
        ["gpu"] = ep.Selected.Gpu.Name,
        ["flops_per_token"] = ep.Selected.FlopsPerToken,
        ["tokens_per_s_per_gpu"] = Math.Round(ep.Selected.TokensPerSecondPerGpu, 1),
        ["hours"] = Math.Round(ep.Hours, 3),
        ["price_per_gpu_hour"] = ep.PricePerGpuHour,
        ["cost"] = Math.Round(ep.Cost, 2),
        ["throughput_table"] = new JsonArray(ep.Table.Select(t => (JsonNode?)new JsonObject
        {
            ["gpu"] = t.Gpu.Name,
            ["peak_bf16_tflops"] = t.Gpu.PeakBf16Tflops,
            ["tokens_per_s_per_gpu"] = Math.Round(t.TokensPerSecondPerGpu, 1),
        }).ToArray()),
    };

    private static JsonObject ShardingJson(ShardingPlan sh) => new()
    {
        ["ranks"] = sh.Ranks,
        ["bytes_per_element"] = sh.BytesPerElement,
        ["total_params"] = sh.TotalParameters,
        ["total_padded"] = sh.TotalPadded,
        ["slots_per_rank"] = sh.SlotsPerRank,
        ["bytes_per_rank"] = sh.SlotsPerRank * sh.BytesPerElement,
        ["groups"] = new JsonArray(sh.Groups.Select(g => (JsonNode?)new JsonObject
        {
            ["name"] = g.Name, ["count"] = g.Count, ["elements"] = g.Elements, ["padded"] = g.Padded,
            ["padding"] = g.Padding, ["shard"] = g.Shard,
        }).ToArray()),
        ["ranks_params"] = new JsonArray(Enumerable.Range(0, sh.Ranks).Select(r => (JsonNode?)JsonValue.Create(sh.ParametersOf(r))).ToArray()),
    };

    public string ToText()
    {
        var e = Estimate;
        var p = e.Plan;
        var m = e.Model;
        var b = new StringBuilder();
        void Line(string s = "") => b.Append(s).Append('\n');
        void Row(string name, double bytes, string note) => Line(Inv($"  {name,-13}{G(bytes),9}  {note}"));
        string By(bool sharded) => sharded ? $"sharded over {p.Gpus}" : "replicated";

        Line(Inv($"model {m.Name} ({m.Description}{(m.ShapeInferred ? "" : ": " + m.Shape.Describe())}): {Quantity.Format(m.Parameters)} parameters ({m.Parameters:N0})"));
        if (m.ShapeInferred) Line($"  inferred shape for activations: {m.Shape.Describe()}");
        string trained = p.TrainsAdapters ? Inv($"rank-{p.LoraRank} adapters on 7 projections per block, {e.TrainedParameters:N0} trained") : Inv($"{e.TrainedParameters:N0} trained");
        Line($"{TrainingPlan.MethodName(p.Method)} ({trained}); ZeRO stage {p.ZeroStage} over {p.Gpus} GPU{(p.Gpus == 1 ? "" : "s")}; " +
             $"micro-batch {p.Batch} x {p.Sequence} tokens; grad checkpointing {(p.GradientCheckpointing ? "on" : "off")}; " +
             $"gradients {(p.GradientBytes == 4 ? "fp32" : "bf16")}{(p.Offload ? "; optimizer offloaded to CPU" : "")}");
        Line();
        Line("per GPU, GB (1e9 bytes)");
        Row("weights", e.WeightBytes, (p.Method == FineTuningMethod.Qlora ? "4-bit base + bf16 rest" : "bf16") + ", " + By(p.ZeroStage >= 3));
        Row("gradients", e.GradientBytes, (p.GradientBytes == 4 ? "fp32" : "bf16") + ", " + By(p.ZeroStage >= 2));
        Row("optimizer", e.OptimizerBytes, p.Offload ? "on CPU (--offload)" : "fp32 master + Adam m, v, " + By(p.ZeroStage >= 1));
        Row("model states", e.ModelStateBytes, "weights + gradients + optimizer");
        Row("activations", e.ActivationBytes, Inv($"at the peak, {PhaseName(e.Phase)}") +
            (p.GradientCheckpointing ? " (block inputs + one block recomputed)" : ""));
        Row("buffers", e.BufferBytes, Inv($"optimizer buffers {G(e.OptimizerBufferBytes)}, working {G(e.WorkingBytes)}, ") +
            Inv($"ZeRO-3 gather {G(e.GatherBytes)}, workspace {G(e.WorkspaceBytes)}"));
        Row("total", e.TotalBytes, Inv($"of {G(GpuMemoryBytes)} ({GpuMemoryGiB:0.##} GiB, {Gpu.Name}): ") + (Fits ? "fits" : "does NOT fit"));
        if (p.Offload)
            Line(Inv($"host memory: {G(e.HostBytesPerRank)} GB per rank, {G(e.HostBytesTotal)} GB for all {p.Gpus} ranks (optimizer partition + fp32 gradients)"));
        Line();
        Line("recommendation: " + Recommendation.Summary());
        if (Tight)
            Line(Inv($"  tight: {100 * e.TotalBytes / GpuMemoryBytes:0}% of the GPU; the allocator's reserve and the CUDA/NCCL contexts took 3-10% more than plans in measured runs"));
        if (!Recommendation.AsGiven)
        {
            var r = Recommendation.Estimate;
            Line(Inv($"  model states {G(r.ModelStateBytes)}, activations {G(r.ActivationBytes)}, buffers {G(r.BufferBytes)}, total {G(r.TotalBytes)} GB") +
                 (r.HostBytesPerRank > 0 ? Inv($"; host {G(r.HostBytesPerRank)} GB per rank") : ""));
            Line("  flags: " + r.Plan.Flags());
        }
        if (Epoch is { } ep) AppendEpoch(Line, ep);
        if (Sharding is { } sh) AppendSharding(Line, sh);
        return b.ToString();
    }

    private static void AppendEpoch(Action<string> line, EpochEstimate ep)
    {
        line("");
        line(Inv($"throughput at MFU {ep.Mfu:0.##} ({ep.Selected.FlopsPerToken / 1e9:0.#} GFLOP per token), tokens/s per GPU:"));
        foreach (var t in ep.Table)
            line(Inv($"  {t.Gpu.Name,-9} {t.Gpu.PeakBf16Tflops,5:0} TFLOP/s  {t.TokensPerSecondPerGpu,10:N0}") + (t == ep.Selected ? "  <-" : ""));
        line(Inv($"epoch of {Quantity.Format(ep.Tokens)} tokens on {ep.Gpus} x {ep.Selected.Gpu.Name}: {ep.Hours:0.0} hours, ") +
             Inv($"${ep.Cost:N0} at ${ep.PricePerGpuHour:0.00} per GPU-hour (illustrative price; --price-table FILE overrides)"));
    }

    private static void AppendSharding(Action<string> line, ShardingPlan sh)
    {
        line("");
        line(Inv($"ZeRO-3 parameter partition over {sh.Ranks} ranks (shapes only, nothing allocated; {sh.BytesPerElement:0.###} bytes per element):"));
        line(Inv($"  {"group",-24}{"elements",16}{"padded",16}{"per rank",14}"));
        foreach (var g in sh.Groups)
            line(Inv($"  {(g.Count > 1 ? $"{g.Name} ({g.Count}x)" : g.Name),-24}{g.Elements,16:N0}{g.Padded,16:N0}{g.Shard,14:N0}"));
        line(Inv($"  each rank holds {sh.SlotsPerRank:N0} elements ({sh.SlotsPerRank * sh.BytesPerElement / 1e9:0.000} GB) including padding; total {sh.TotalParameters:N0} parameters, {sh.TotalPadded:N0} padded"));
        foreach (var (first, last, parameters) in sh.RankRuns())
            line(Inv($"  {(first == last ? $"rank {first}" : $"ranks {first}-{last}"),-14} {parameters,16:N0} parameters  {parameters * sh.BytesPerElement / 1e9,8:0.000} GB"));
    }
}
