using System.Globalization;
using Akka.Configuration;

namespace Athanor.Cluster.Hosting;

/// <summary>
/// The few Akka settings that Akka.Hosting's builders (1.5.73) have no option for, as a typed tree turned into a
/// <see cref="Config"/> (no HOCON text): the Split Brain Resolver's stable-after and down-all-when-unstable, the singleton
/// hand-over retry, coordinated shutdown's hooks and drain phase timeout, the console log level of start-up and
/// shutdown, dead-letter logging, and the class of the Kubernetes discovery plugin (its settings travel as a Setup).
/// </summary>
public static class SettingsWithoutBuilder
{
    public static Config For(ClusterNodeOptions o)
    {
        var akka = new Dictionary<string, object>
        {
            ["stdout-loglevel"] = o.LogLevel,
            ["log-dead-letters"] = o.LogLevel is "INFO" or "DEBUG" ? 10 : "off",
            ["cluster"] = new Dictionary<string, object>
            {
                ["split-brain-resolver"] = new Dictionary<string, object>
                {
                    ["stable-after"] = Milliseconds(o.DowningStableAfter),
                    ["down-all-when-unstable"] = "off",
                },
                ["singleton"] = new Dictionary<string, object> { ["hand-over-retry-interval"] = "1s" },
            },
            ["coordinated-shutdown"] = new Dictionary<string, object>
            {
                // The command hosting the node owns the process: Akka neither exits it nor hooks its shutdown.
                ["exit-clr"] = "off",
                ["run-by-clr-shutdown-hook"] = "off",
                // Draining ranks (a checkpoint each) takes up to DrainTimeout; the phase waits that long and a little more.
                ["phases"] = new Dictionary<string, object>
                {
                    ["before-cluster-shutdown"] = new Dictionary<string, object> { ["timeout"] = Milliseconds(o.DrainTimeout + TimeSpan.FromSeconds(10)) },
                },
            },
        };
        if (o.Discovery == "kubernetes")
            akka["discovery"] = new Dictionary<string, object>
            {
                [KubernetesPodDiscovery.MethodName] = new Dictionary<string, object> { ["class"] = typeof(KubernetesPodDiscovery).AssemblyQualifiedName! },
            };
        return ConfigurationFactory.FromObject(new Dictionary<string, object> { ["akka"] = akka });
    }

    private static string Milliseconds(TimeSpan t) => ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
}
