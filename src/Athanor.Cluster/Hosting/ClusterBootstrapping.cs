using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Akka.Management.Dsl;
using Newtonsoft.Json;

namespace Athanor.Cluster.Hosting;

/// <summary>
/// Akka.Management Cluster Bootstrap with the node's own HTTP server as the contact point.
///
/// Why not Akka.Management's HTTP endpoint: Akka.Management 1.5.73 serves it through Akka.Http.Shim, built against
/// Ceen.Httpd 0.9.9; the package feed has only 0.9.10, whose HttpServer.ListenAsync signature changed, so starting
/// it fails with MissingMethodException. Everything else of bootstrap (discovery, probing the contact points, the
/// lowest-address join decision) is Akka.Management's; only the one route it probes, GET /bootstrap/seed-nodes, is
/// served by the node's ASP.NET server, in Akka.Management's own JSON types and serializer so the probes read it.
/// </summary>
public static class ClusterBootstrapping
{
    public const string SeedNodesPath = "/bootstrap/seed-nodes";
    private const int MaxSeedNodesToExpose = 5;

    /// <summary>Starts bootstrap once this node's contact point (http://HOST:HTTP-PORT/) is serving.</summary>
    public static Task StartAsync(ActorSystem system, ClusterNodeOptions options)
    {
        var bootstrap = ClusterBootstrap.Get(system);
        // Routes() is how Akka.Management tells bootstrap its own contact point; the routes it returns are not used.
        bootstrap.Routes(ManagementRouteProviderSettings.Create(new Uri($"http://{options.Host}:{options.HttpPort}/"), true));
        return bootstrap.Start();
    }

    /// <summary>
    /// The answer to a contact-point probe: this node's address and the members a newcomer may join (Up, WeaklyUp
    /// or Joining, and reachable). Null while the node is leaving: it must not be offered as a seed.
    /// </summary>
    public static string? SeedNodesJson(ActorSystem system)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        if (cluster.SelfMember.Status is MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.Down) return null;
        var state = cluster.State;
        var members = state.Members
            .Where(m => !state.Unreachable.Contains(m) && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
            .Take(MaxSeedNodesToExpose)
            .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
            .ToImmutableList();
        return JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(cluster.SelfAddress, members));
    }
}
