using System.Globalization;
using System.Text.Json;
using Athanor.Estimation;

namespace Athanor.Cli.Commands;

/// <summary>`cluster estimate`: per-GPU memory of a fine-tuning plan under ZeRO, whether it fits, what would, and time and cost per epoch.</summary>
public sealed class EstimateCommand : ICommand
{
    private const string Cmd = "cluster estimate";

    public string Name => "estimate";
    public string Summary => "plan GPU memory (ZeRO 0-3, LoRA, QLoRA), time and cost of a fine-tuning run";
    public string Usage => """
        usage: cluster estimate (--model 7b|13b|30b|65b|MODEL_DIR | --params N) --method full|lora|qlora --zero 0-3 --gpus N
                                [--gpu h100|h200|a100-80g|a100-40g|a10g] [--gpu-mem GiB] [--seq N] [--batch N] [--grad-ckpt]
                                [--offload] [--grad-dtype bf16|fp32] [--lora-rank R] [--tokens N] [--mfu F]
                                [--price-table FILE] [--plan] [--json]

          --model         a preset (Llama-2 7B/13B, LLaMA 30B/65B) or a Hugging Face model folder (config.json)
          --params N      a parameter count (7e9, 7B, 7000000000); shapes are inferred, Llama-like
          --method        full, lora (frozen base, adapters on all 7 projections) or qlora (4-bit base)
          --zero          ZeRO stage: 0 replicated, 1 optimizer sharded, 2 + gradients, 3 + parameters
          --gpus N        data-parallel ranks
          --gpu           GPU type for peak FLOP/s, memory and price (default h100)
          --gpu-mem GiB   memory per GPU (default: the GPU type's, 80 for h100)
          --seq, --batch  tokens per sequence (default 2048) and sequences per micro-batch per GPU (default 1)
          --grad-ckpt     gradient checkpointing (keep block inputs, recompute one block at a time)
          --offload       optimizer state (fp32 master + Adam) in CPU memory; needs --zero 1-3
          --grad-dtype    gradient precision (default bf16)
          --lora-rank R   LoRA rank (default 8)
          --tokens N      tokens per epoch: print throughput, hours and cost
          --mfu F         model FLOPs utilization assumed (default 0.35)
          --price-table   JSON of prices per GPU-hour, e.g. {"h100": 2.5} (defaults are illustrative)
          --plan          print the ZeRO-3 parameter partition per rank (shapes only; needs --model)
          --json          one JSON object instead of text
        Sizes are GB = 1e9 bytes; see docs/memory-planner.md for the formulas.
        """;

    private static readonly string[] ValueFlags =
        ["--model", "--params", "--method", "--zero", "--gpus", "--gpu", "--gpu-mem", "--seq", "--batch", "--grad-dtype",
         "--lora-rank", "--tokens", "--mfu", "--price-table"];
    private static readonly string[] Switches = ["--grad-ckpt", "--offload", "--plan", "--json"];

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var r = new ArgumentReader(Cmd, args, ValueFlags, Switches);
        r.AtMostPositionals(0, "flags only (see cluster estimate --help)");

        var model = ReadModel(r);
        var plan = new TrainingPlan
        {
            Method = Required(r, "--method", v => v.ToLowerInvariant() switch
            {
                "full" => FineTuningMethod.Full, "lora" => FineTuningMethod.Lora, "qlora" => FineTuningMethod.Qlora, _ => (FineTuningMethod?)null,
            }, "full, lora, qlora"),
            ZeroStage = Required(r, "--zero", v => v is "0" or "1" or "2" or "3" ? int.Parse(v, CultureInfo.InvariantCulture) : (int?)null, "0, 1, 2, 3"),
            Gpus = Required(r, "--gpus", PositiveInt, "a whole number >= 1"),
            Sequence = Optional(r, "--seq", PositiveInt, "a whole number >= 1") ?? 2048,
            Batch = Optional(r, "--batch", PositiveInt, "a whole number >= 1") ?? 1,
            GradientCheckpointing = r.Has("--grad-ckpt"),
            Offload = r.Has("--offload"),
            GradientBytes = Optional(r, "--grad-dtype", v => v.ToLowerInvariant() switch { "bf16" => 2, "fp32" => 4, _ => (int?)null }, "bf16, fp32") ?? 2,
            LoraRank = Optional(r, "--lora-rank", PositiveInt, "a whole number >= 1") ?? 8,
        }.Validated();

        var gpu = OptionalRef(r, "--gpu", GpuType.Find, string.Join(", ", GpuType.Names)) ?? GpuType.Find("h100")!;
        double gpuMem = Optional(r, "--gpu-mem", v => PositiveDouble(v), "a size in GiB > 0, e.g. 80") ?? gpu.MemoryGiB;
        double mfu = Optional(r, "--mfu", v => PositiveDouble(v) is double d && d <= 1 ? d : (double?)null, "a fraction in (0, 1], e.g. 0.35") ?? 0.35;
        long? tokens = Optional(r, "--tokens", v => Quantity.TryParse(v, out var n) ? n : (long?)null, Quantity.Accepted);
        var prices = r.One("--price-table") is string table ? PriceTable.Load(table) : PriceTable.Defaults();
        if (r.Has("--plan") && model.ShapeInferred)
            throw new UsageException($"{Cmd}: --plan needs exact shapes; use --model (7b, 13b, 30b, 65b or a model folder) instead of --params");

        var estimate = MemoryEstimator.Estimate(model, plan);
        var gpuBytes = gpuMem * (1L << 30);
        var report = new EstimateReport(estimate, gpu, gpuMem, PlanRecommender.RecommendWithHeadroom(model, plan, gpuBytes),
            tokens is long t ? EpochEstimate.For(model, plan, gpu, mfu, t, prices) : null,
            r.Has("--plan") ? ShardingPlan.For(model.Shape, plan.Gpus) : null);

        if (r.Has("--json")) Console.WriteLine(report.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        else Console.Write(report.ToText());
        return ExitCodes.Ok;
    }

    private static ModelSpec ReadModel(ArgumentReader r)
    {
        var name = r.One("--model");
        var count = r.One("--params");
        if ((name is null) == (count is null))
            throw new UsageException($"{Cmd}: give exactly one of --model ({string.Join(", ", ModelPresets.Names)} or a model folder) and --params N");
        if (count is not null)
            return Quantity.TryParse(count, out var n) ? ModelSpec.FromParameterCount(n)
                : throw new UsageException($"{Cmd}: --params '{count}' is not a parameter count; accepted: {Quantity.Accepted}");
        if (ModelPresets.Find(name!) is { } preset) return preset;
        if (Directory.Exists(name)) return ModelSpec.FromFolder(name);
        throw new UsageException($"{Cmd}: --model '{name}' is neither a preset nor a folder; presets: {string.Join(", ", ModelPresets.Names)} (or a Hugging Face model folder with config.json)");
    }

    private static int? PositiveInt(string v) => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : null;

    private static double? PositiveDouble(string v) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && d > 0 ? d : null;

    private static T Required<T>(ArgumentReader r, string flag, Func<string, T?> parse, string accepted) where T : struct =>
        Optional(r, flag, parse, accepted) ?? throw new UsageException($"{Cmd}: {flag} is required; accepted: {accepted}");

    private static T? Optional<T>(ArgumentReader r, string flag, Func<string, T?> parse, string accepted) where T : struct
    {
        var value = r.One(flag);
        if (value is null) return null;
        return parse(value) ?? throw new UsageException($"{Cmd}: {flag} '{value}' is not accepted; accepted: {accepted}");
    }

    private static T? OptionalRef<T>(ArgumentReader r, string flag, Func<string, T?> parse, string accepted) where T : class
    {
        var value = r.One(flag);
        if (value is null) return null;
        return parse(value) ?? throw new UsageException($"{Cmd}: {flag} '{value}' is not accepted; accepted: {accepted}");
    }
}
