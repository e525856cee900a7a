namespace Athanor.Cluster.Tests.NetNamespaces;

/// <summary>A test that needs a <see cref="NetworkLab"/>: skipped, with the reason, where namespaces cannot be made (not root, no `ip`).</summary>
public sealed class NetNamespaceFactAttribute : FactAttribute
{
    public NetNamespaceFactAttribute()
    {
        if (NetworkLab.Unavailable() is string reason) Skip = "network namespaces unavailable: " + reason;
    }
}
