using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Parallel;

/// <summary>
/// The group of GPU ranks: tensors on the rank's GPU go through NCCL, host tensors (the trainer's stop flag,
/// loss sums, RNG states) through the TCP ring the group was formed over. Both see the same ranks in the same
/// order, so every rank still calls the same operations in the same sequence. An abort breaks both.
/// </summary>
public sealed class DeviceRoutedCollective(ICollective host, ICollective device) : ICollective
{
    public int Rank => host.Rank;
    public int WorldSize => host.WorldSize;

    public void AllReduceSum(Tensor tensor) => For(tensor).AllReduceSum(tensor);
    public void ReduceScatterSum(Tensor input, Tensor output) => For(output).ReduceScatterSum(input, output);
    public void AllGather(Tensor input, Tensor output) => For(output).AllGather(input, output);
    public PendingCollective StartAllGather(Tensor input, Tensor output) => For(output).StartAllGather(input, output);
    public PendingCollective StartAllReduceSum(Tensor tensor) => For(tensor).StartAllReduceSum(tensor);
    public PendingCollective StartReduceSum(Tensor tensor, int root) => For(tensor).StartReduceSum(tensor, root);
    public PendingCollective StartReduceScatterSum(Tensor input, Tensor output) => For(output).StartReduceScatterSum(input, output);
    public void Broadcast(Tensor tensor, int root) => For(tensor).Broadcast(tensor, root);

    /// <summary>Both paths: a barrier that returns only when every rank's GPU work and host side have caught up.</summary>
    public void Barrier()
    {
        device.Barrier();
        host.Barrier();
    }

    public void Abort(string reason)
    {
        device.Abort(reason);
        host.Abort(reason);
    }

    public void Dispose()
    {
        device.Dispose();
        host.Dispose();
    }

    private ICollective For(Tensor tensor) => tensor.device_type == DeviceType.CPU ? host : device;
}
