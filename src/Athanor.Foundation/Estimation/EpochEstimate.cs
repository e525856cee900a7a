namespace Athanor.Estimation;

/// <summary>Time and cost of one epoch of <see cref="Tokens"/> tokens on the chosen GPU type, with the throughput of every known type.</summary>
public sealed record EpochEstimate(double Tokens, double Mfu, int Gpus, ThroughputEstimate Selected, double PricePerGpuHour,
    IReadOnlyList<ThroughputEstimate> Table)
{
    public double Hours => Selected.Hours(Tokens, Gpus);
    public double Cost => Selected.Cost(Tokens, Gpus, PricePerGpuHour);

    public static EpochEstimate For(ModelSpec model, TrainingPlan plan, GpuType gpu, double mfu, double tokens, PriceTable prices)
    {
        var table = GpuType.All.Select(g => ThroughputEstimate.For(model, plan, g, mfu)).ToList();
        return new EpochEstimate(tokens, mfu, plan.Gpus, table.Single(t => t.Gpu == gpu), prices.PricePerHour(gpu), table);
    }
}
