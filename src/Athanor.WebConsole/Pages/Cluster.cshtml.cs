using Athanor.Node.Backend;
using Athanor.WebConsole.Api;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Athanor.WebConsole.Pages;

/// <summary>The members with roles, reachability and slots, as ClusterService lists them; console.js refreshes the table.</summary>
public sealed class ClusterModel(IJobBackend backend) : PageModel
{
    public ClusterSummary Summary { get; private set; } = null!;
    public IReadOnlyList<ClusterApi.NodeView> Nodes { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancel)
    {
        Summary = await backend.GetClusterStatusAsync(cancel);
        Nodes = await ClusterApi.Nodes(backend, cancel);
    }
}
