using Athanor.Node.Backend;
using Athanor.Protocol.V1;
using Grpc.Core;

namespace Athanor.Node.Services;

/// <summary>athanor.v1.ClusterService over an <see cref="IJobBackend"/>.</summary>
public sealed class ClusterGrpcService(IJobBackend backend) : ClusterService.ClusterServiceBase
{
    public override async Task<ListNodesResponse> ListNodes(ListNodesRequest request, ServerCallContext context)
    {
        var response = new ListNodesResponse();
        response.Nodes.AddRange((await backend.ListNodesAsync(context.CancellationToken).ConfigureAwait(false)).Select(n => n.ToProto()));
        return response;
    }

    public override async Task<ClusterStatus> GetClusterStatus(GetClusterStatusRequest request, ServerCallContext context) =>
        (await backend.GetClusterStatusAsync(context.CancellationToken).ConfigureAwait(false)).ToProto();
}
