using System.Reflection;
using Athanor.Configuration;
using Athanor.Training;

namespace Athanor.Core.Tests;

/// <summary>Issue 21's assembly line: what reads and checks jobs (Athanor.Foundation) never depends on TorchSharp.</summary>
public class AssemblyLayoutTests
{
    [Fact]
    public void FoundationReferencesNoTorchSharpEvenTransitively()
    {
        var foundation = typeof(JobConfig).Assembly;
        Assert.Equal("Athanor.Foundation", foundation.GetName().Name);
        var reached = ReferenceClosure(foundation);
        Assert.DoesNotContain(reached, name => name.StartsWith("TorchSharp", StringComparison.Ordinal));
        Assert.DoesNotContain("Athanor.Core", reached);
    }

    [Fact]
    public void TheTrainerLivesInCoreOnTopOfFoundation()
    {
        var core = typeof(Trainer).Assembly;
        Assert.Equal("Athanor.Core", core.GetName().Name);
        var direct = core.GetReferencedAssemblies().Select(a => a.Name!).ToHashSet();
        Assert.Contains("Athanor.Foundation", direct);
        Assert.Contains("TorchSharp", direct);
    }

    /// <summary>Every assembly name reachable from <paramref name="root"/> through references (framework ones skipped).</summary>
    internal static HashSet<string> ReferenceClosure(Assembly root)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<AssemblyName>(root.GetReferencedAssemblies());
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (name.Name is null || name.Name.StartsWith("System", StringComparison.Ordinal) || name.Name.StartsWith("Microsoft", StringComparison.Ordinal)
                || name.Name is "netstandard" or "mscorlib" || !seen.Add(name.Name))
                continue;
            foreach (var next in Assembly.Load(name).GetReferencedAssemblies()) pending.Push(next);
        }
        return seen;
    }
}
