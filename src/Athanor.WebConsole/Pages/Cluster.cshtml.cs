using Athanor.Node.Backend;
using Athanor.WebConsole.Api;
using Athanor.WebConsole.Gpus;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Athanor.WebConsole.Pages;

/// <summary>The members with roles, reachability and each slot busy (with which job) or free, and this node's GPUs; console.js refreshes it.</summary>
public sealed class ClusterModel(IJobBackend backend, LocalGpus gpus) : PageModel
{
    public ClusterSummary Summary { get; private set; } = null!;
    public IReadOnlyList<ClusterApi.NodeView> Nodes { get; private set; } = [];
    public GpuReading Gpus { get; private set; } = new([], null);

    public async Task OnGetAsync(CancellationToken cancel)
    {
        Summary = await backend.GetClusterStatusAsync(cancel);
        Nodes = await ClusterApi.Nodes(backend, cancel);
        Gpus = gpus.Read();
    }
}
