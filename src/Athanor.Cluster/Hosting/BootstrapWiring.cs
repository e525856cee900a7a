using Akka.Discovery.Config.Hosting;
using Akka.Hosting;
using Akka.Management;
using Akka.Management.Cluster.Bootstrap;

namespace Athanor.Cluster.Hosting;

/// <summary>
/// Akka.Management Cluster Bootstrap over Akka.Discovery: a fixed contact-point list ("config") or the Kubernetes API's
/// pods ("kubernetes"). Neither Akka.Management's HTTP server nor bootstrap starts here: the node's own HTTP port serves
/// the contact point, and bootstrap starts once it does (<see cref="ClusterBootstrapping"/>).
/// </summary>
public static class BootstrapWiring
{
    /// <summary>The name bootstrap looks up in discovery (config discovery's service key).</summary>
    public const string ServiceName = "athanor";

    public static AkkaConfigurationBuilder WithBootstrap(this AkkaConfigurationBuilder akka, ClusterNodeOptions o)
    {
        if (!o.UsesBootstrap) return akka;
        bool kubernetes = o.Discovery == "kubernetes";
        if (kubernetes)
            akka.AddSetup(new KubernetesPodDiscoverySetup(o.KubernetesLabelSelector!, o.KubernetesNamespace, o.KubernetesApiCaPath, o.KubernetesApiTokenPath));
        else
            akka.WithConfigDiscovery(new ConfigServiceDiscoveryOptions { Services = [new Service { Name = ServiceName, Endpoints = o.ContactPoints.ToArray() }] });
        return akka
            .WithAkkaManagement(new AkkaManagementOptions { HostName = o.Host, Port = o.HttpPort!.Value }, autoStart: false)
            .WithClusterBootstrap(new ClusterBootstrapOptions
            {
                NewClusterEnabled = true,
                ContactPointDiscovery =
                {
                    ServiceName = ServiceName,
                    DiscoveryMethod = kubernetes ? KubernetesPodDiscovery.MethodName : "config",
                    PortName = kubernetes ? o.KubernetesPortName : null,
                    RequiredContactPointsNr = o.EffectiveRequiredContactPoints,
                    StableMargin = o.BootstrapStableMargin,
                    ContactWithAllContactPoints = true,
                },
                ContactPoint =
                {
                    FallbackPort = o.HttpPort,
                    // Members on one machine differ only by port: probe every discovered one, not just those on ours.
                    FilterOnFallbackPort = false,
                    ProbeInterval = TimeSpan.FromSeconds(1),
                },
            }, autoStart: false);
    }
}
