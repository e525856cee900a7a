using Athanor.Estimation;

namespace Athanor.Tests.Estimation;

public class PlanRecommenderTests
{
    private const double GiB80 = 80.0 * (1L << 30);

    [Fact]
    public void APlanThatFitsIsKeptAsGiven()
    {
        var r = PlanRecommender.Recommend(ModelPresets.Get("7b"), new TrainingPlan { Method = FineTuningMethod.Lora, Gpus = 1 }, GiB80);
        Assert.True(r.AsGiven);
        Assert.True(r.Fits);
        Assert.StartsWith("fits as given", r.Summary());
    }

    [Fact]
    public void WithHeadroomTheProposalStaysBelowTheTightShareWhenItCan()
    {
        // LLaMA-65B LoRA over two 80 GiB GPUs keeping activations: checkpointing alone fits at 99%; with headroom the
        // walk goes on (no QLoRA allowed here, as in the trainer: to four GPUs).
        var given = new TrainingPlan { Method = FineTuningMethod.Lora, LoraRank = 16, ZeroStage = 3, Gpus = 2 };
        var model = ModelPresets.Get("65b");
        var tight = PlanRecommender.Recommend(model, given, GiB80, allowQlora: false);
        Assert.Equal(["--grad-ckpt"], tight.Changes);
        Assert.True(tight.Estimate.TotalBytes > PlanRecommender.HeadroomShare * GiB80);
        var roomy = PlanRecommender.RecommendWithHeadroom(model, given, GiB80, allowQlora: false);
        Assert.Equal(["--grad-ckpt", "--gpus 4"], roomy.Changes);
        Assert.True(roomy.Estimate.TotalBytes <= PlanRecommender.HeadroomShare * GiB80);
        Assert.Equal(GiB80, roomy.GpuMemoryBytes);
        // A plan that already fits is kept as given, tight or not.
        Assert.True(PlanRecommender.RecommendWithHeadroom(model, given with { GradientCheckpointing = true }, GiB80).AsGiven);
    }

    [Fact]
    public void AHigherZeroStageIsTriedFirst()
    {
        // 30B full on 16 GPUs: 520 GB of model states replicated, 160 at stage 1, 91 at stage 2 (plus the unfused path's
        // fp32 flat copies of every parameter on every rank), 33 at stage 3.
        var given = new TrainingPlan { Gpus = 16, GradientCheckpointing = true };
        var r = PlanRecommender.Recommend(ModelPresets.Get("30b"), given, GiB80);
        Assert.True(r.Fits);
        Assert.Equal(["--zero 3"], r.Changes);
        Assert.True(r.Estimate.TotalBytes <= GiB80);
        // The lower stages really do not fit.
        Assert.False(MemoryEstimator.Estimate(ModelPresets.Get("30b"), given with { ZeroStage = 2 }).Fits(GiB80));
    }

    [Fact]
    public void ASmallerMicroBatchKeepsTheGlobalBatchThroughAccumulation()
    {
        var given = new TrainingPlan { ZeroStage = 3, Gpus = 8, GradientCheckpointing = true, Batch = 48, Sequence = 4096 };
        var r = PlanRecommender.Recommend(ModelPresets.Get("7b"), given, GiB80);
        Assert.True(r.Fits);
        var p = r.Estimate.Plan;
        Assert.True(p.Batch < 48);
        Assert.Equal(48, p.Batch * p.Accumulation);
        Assert.Contains(r.Changes, c => c.StartsWith($"--batch {p.Batch} with gradient accumulation {p.Accumulation}", StringComparison.Ordinal));
        // It is the largest micro-batch that fits: the next divisor up does not.
        int next = Enumerable.Range(p.Batch + 1, 48 - p.Batch).First(d => 48 % d == 0);
        Assert.False(MemoryEstimator.Estimate(ModelPresets.Get("7b"), p with { Batch = next }).Fits(GiB80));
    }

    [Fact]
    public void EarlierStepsThatAreNotNeededAreUndone()
    {
        // 7B full on one GPU: the walk reaches offload (at stage 1, where one GPU stops gaining from stages); the
        // checkpointing it added on the way is dropped again because offload alone is enough.
        var r = PlanRecommender.Recommend(ModelPresets.Get("7b"), new TrainingPlan { Gpus = 1 }, GiB80);
        Assert.True(r.Fits);
        Assert.Equal(["--zero 1", "--offload"], r.Changes);
        Assert.False(r.Estimate.Plan.GradientCheckpointing);
        Assert.True(MemoryEstimator.Estimate(ModelPresets.Get("7b"), r.Estimate.Plan with { Offload = false }).TotalBytes > GiB80);
    }

    [Fact]
    public void LoraComesBeforeMoreGpus()
    {
        var r = PlanRecommender.Recommend(ModelPresets.Get("65b"), new TrainingPlan { Gpus = 1 }, GiB80);
        Assert.True(r.Fits);
        Assert.NotEqual(FineTuningMethod.Full, r.Estimate.Plan.Method);
    }

    [Fact]
    public void APlanThatCannotFitSaysSoWithTheNumbers()
    {
        // 64K-token sequences: the activations and the loss's working set alone outgrow a 4 GiB card, however many GPUs.
        var r = PlanRecommender.Recommend(ModelPresets.Get("7b"), new TrainingPlan { Gpus = 1, Sequence = 65536 }, 4.0 * (1L << 30));
        Assert.False(r.Fits);
        Assert.False(r.AsGiven);
        Assert.StartsWith("does not fit in any configuration tried", r.Summary());
        Assert.Contains("GB per GPU of 4.3 GB", r.Summary());
        Assert.Equal(PlanRecommender.MaxGpus, r.Estimate.Plan.Gpus);
        Assert.Equal(FineTuningMethod.Qlora, r.Estimate.Plan.Method);
    }
}
