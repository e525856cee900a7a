using static TorchSharp.torch;

namespace Athanor.Parallel;

/// <summary>The group of one: every collective is the identity. Lets one code path serve world size 1.</summary>
public sealed class SingleRankCollective : ICollective
{
    public int Rank => 0;
    public int WorldSize => 1;
    public void AllReduceSum(Tensor tensor) { }
    public void ReduceScatterSum(Tensor input, Tensor output) => output.copy_(input);
    public void AllGather(Tensor input, Tensor output) => output.copy_(input);
    public void Broadcast(Tensor tensor, int root) { }
    public void Barrier() { }
    public void Abort(string reason) { }
    public void Dispose() { }
}
