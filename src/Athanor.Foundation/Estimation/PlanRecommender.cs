namespace Athanor.Estimation;

/// <summary>
/// Finds a plan that fits by walking, in this order and keeping each step: a higher ZeRO stage, gradient
/// checkpointing, a smaller micro-batch with gradient accumulation (same global batch), optimizer offload, LoRA (then
/// QLoRA), more GPUs (doubling). The first plan that fits is then relaxed: any earlier step it does not need is undone.
/// </summary>
public static class PlanRecommender
{
    public const int MaxGpus = 4096;

    /// <summary>Above this share of a GPU's memory a plan that fits on paper is tight: measured use ran 3-10% over plans.</summary>
    public const double HeadroomShare = 0.92;

    /// <summary>
    /// As <see cref="Recommend"/> for a plan that does not fit, but proposing a configuration within
    /// <see cref="HeadroomShare"/> of the GPU when one exists (LLaMA-65B LoRA on two 80 GiB GPUs: checkpointing and four
    /// GPUs, not checkpointing alone at 99%).
    /// </summary>
    public static Recommendation RecommendWithHeadroom(ModelSpec model, TrainingPlan given, double gpuMemoryBytes, MemoryModelConstants? constants = null,
        bool allowOffload = true, bool allowQlora = true)
    {
        var full = Recommend(model, given, gpuMemoryBytes, constants, allowOffload, allowQlora);
        if (full.AsGiven || !full.Fits) return full;
        var roomy = Recommend(model, given, HeadroomShare * gpuMemoryBytes, constants, allowOffload, allowQlora);
        return roomy.Fits ? roomy with { GpuMemoryBytes = gpuMemoryBytes } : full;
    }

    /// <param name="allowOffload">whether optimizer offload may be proposed</param>
    /// <param name="allowQlora">whether 4-bit base weights may be proposed</param>
    public static Recommendation Recommend(ModelSpec model, TrainingPlan given, double gpuMemoryBytes, MemoryModelConstants? constants = null,
        bool allowOffload = true, bool allowQlora = true)
    {
        MemoryEstimate Estimate(TrainingPlan p) => MemoryEstimator.Estimate(model, p, constants);
        bool Fits(TrainingPlan p) => Estimate(p).Fits(gpuMemoryBytes);

        var first = Estimate(given);
        if (first.Fits(gpuMemoryBytes)) return new Recommendation(true, true, [], first, gpuMemoryBytes);

        var found = Walk(given, Fits, out var last, allowOffload, allowQlora);
        if (found is null)
        {
            var smallest = Estimate(last);
            return new Recommendation(false, false, Changes(given, last), smallest, gpuMemoryBytes);
        }
        var relaxed = Relax(given, found, Fits);
        return new Recommendation(false, true, Changes(given, relaxed), Estimate(relaxed), gpuMemoryBytes);
    }

    private static TrainingPlan? Walk(TrainingPlan given, Func<TrainingPlan, bool> fits, out TrainingPlan last, bool allowOffload, bool allowQlora)
    {
        var p = given;
        foreach (var next in Steps(given, allowOffload, allowQlora))
        {
            p = next(p);
            if (fits(p)) { last = p; return p; }
        }
        last = p;
        return null;
    }

    /// <summary>Each step turns the current plan into the next candidate; steps with nothing to change repeat the plan.</summary>
    private static IEnumerable<Func<TrainingPlan, TrainingPlan>> Steps(TrainingPlan given, bool allowOffload, bool allowQlora)
    {
        for (int z = given.ZeroStage + 1; z <= TrainingPlan.MaxZeroStage(given.Method); z++)
        {
            int stage = z;
            yield return p => p with { ZeroStage = stage };
        }
        yield return p => p with { GradientCheckpointing = true };
        foreach (var b in Divisors(given.Batch).Where(d => d < given.Batch).OrderDescending())
        {
            int batch = b;
            yield return p => p with { Batch = batch, Accumulation = given.Accumulation * given.Batch / batch };
        }
        if (allowOffload) yield return p => p with { Offload = true, ZeroStage = Math.Max(1, p.ZeroStage) };
        if (given.Method == FineTuningMethod.Full) yield return p => p with { Method = FineTuningMethod.Lora };
        if (allowQlora && given.Method != FineTuningMethod.Qlora)
            yield return p => p with { Method = FineTuningMethod.Qlora, ZeroStage = Math.Min(p.ZeroStage, TrainingPlan.MaxZeroStage(FineTuningMethod.Qlora)) };
        for (int gpus = given.Gpus * 2; gpus <= MaxGpus; gpus *= 2)
        {
            int g = gpus;
            yield return p => p with { Gpus = g };
        }
    }

    /// <summary>Undoes the costly steps the fitting plan does not need: offload, checkpointing, the smaller batch, the higher stage.</summary>
    private static TrainingPlan Relax(TrainingPlan given, TrainingPlan found, Func<TrainingPlan, bool> fits)
    {
        var p = found;
        if (p.Offload && !given.Offload && fits(p with { Offload = false, ZeroStage = p.ZeroStage })) p = p with { Offload = false };
        if (p.GradientCheckpointing && !given.GradientCheckpointing && fits(p with { GradientCheckpointing = false }))
            p = p with { GradientCheckpointing = false };
        foreach (var b in Divisors(given.Batch).Where(d => d > p.Batch).OrderDescending())
        {
            var bigger = p with { Batch = b, Accumulation = given.Accumulation * given.Batch / b };
            if (fits(bigger)) { p = bigger; break; }
        }
        int lowest = p.Offload ? Math.Max(1, given.ZeroStage) : given.ZeroStage;
        for (int z = lowest; z < p.ZeroStage; z++)
            if (fits(p with { ZeroStage = z })) { p = p with { ZeroStage = z }; break; }
        return p;
    }

    private static IEnumerable<int> Divisors(int n)
    {
        for (int d = 1; (long)d * d <= n; d++)
        {
            if (n % d != 0) continue;
            yield return d;
            if (d != n / d) yield return n / d;
        }
    }

    /// <summary>What differs from the given plan, as flags with a word of why.</summary>
    private static List<string> Changes(TrainingPlan given, TrainingPlan p)
    {
        var changes = new List<string>();
        if (p.Method != given.Method) changes.Add($"--method {TrainingPlan.MethodName(p.Method)}" + (p.Method == FineTuningMethod.Full ? "" : $" --lora-rank {p.LoraRank}"));
        if (p.ZeroStage != given.ZeroStage) changes.Add($"--zero {p.ZeroStage}");
        if (p.GradientCheckpointing != given.GradientCheckpointing) changes.Add("--grad-ckpt");
        if (p.Batch != given.Batch)
            changes.Add($"--batch {p.Batch} with gradient accumulation {p.Accumulation} (keeps the global batch)");
        if (p.Offload != given.Offload) changes.Add("--offload");
        if (p.Gpus != given.Gpus) changes.Add($"--gpus {p.Gpus}");
        return changes;
    }
}
