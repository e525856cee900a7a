using Athanor.Native.Nccl;
using static TorchSharp.torch;

namespace Athanor.Parallel;

/// <summary>
/// Forms the NCCL communicator of a group of GPU ranks over the host collective they already share. Rank 0
/// makes the unique id (it names a bootstrap socket on rank 0's own machine, so no other process can make it)
/// and broadcasts its 128 bytes over the ring; then every rank joins on its own GPU.
/// </summary>
public static class GpuGroup
{
    /// <summary>Takes ownership of host; on failure it is disposed and the error says which rank and GPU.</summary>
    public static DeviceRoutedCollective Form(ICollective host, int device, TimeSpan timeout, CancellationToken cancel = default)
    {
        try
        {
            var id = ShareUniqueId(host);
            var nccl = NcclCollective.Create(host.Rank, host.WorldSize, id, device, timeout, cancel);
            // Training never needs a collective's result on the host before later kernels: let the host run ahead.
            nccl.WaitForCompletion = false;
            return new DeviceRoutedCollective(host, nccl);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private static NcclUniqueId ShareUniqueId(ICollective host)
    {
        var bytes = host.Rank == 0 ? NcclUniqueId.Create().ToBytes() : new byte[NcclUniqueId.Size];
        using var buffer = tensor(bytes, dtype: ScalarType.Byte);
        host.Broadcast(buffer, root: 0);
        return NcclUniqueId.FromBytes(buffer.bytes);
    }
}
