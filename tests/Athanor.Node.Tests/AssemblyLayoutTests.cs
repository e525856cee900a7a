using System.Reflection;
using Athanor.Node.Hosting;

namespace Athanor.Node.Tests;

/// <summary>The gRPC service validates job files with Athanor.Foundation alone: it never brings TorchSharp along.</summary>
public class AssemblyLayoutTests
{
    [Fact]
    public void TheNodeServiceReachesNeitherCoreNorTorchSharp()
    {
        var node = typeof(NodeHost).Assembly;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<AssemblyName>(node.GetReferencedAssemblies());
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (name.Name is null || name.Name.StartsWith("System", StringComparison.Ordinal) || name.Name.StartsWith("Microsoft", StringComparison.Ordinal)
                || name.Name is "netstandard" or "mscorlib" || !seen.Add(name.Name))
                continue;
            foreach (var next in Assembly.Load(name).GetReferencedAssemblies()) pending.Push(next);
        }
        Assert.Contains("Athanor.Foundation", seen);
        Assert.DoesNotContain("Athanor.Core", seen);
        Assert.DoesNotContain(seen, n => n.StartsWith("TorchSharp", StringComparison.Ordinal));
    }
}
