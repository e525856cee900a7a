using System.Reflection;

namespace Athanor.Node.Hosting;

/// <summary>The build a node runs (the assembly's informational version), as GetClusterStatus reports it.</summary>
public static class NodeVersion
{
    public static string Text { get; } =
        typeof(NodeVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}
