using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;

namespace Athanor.Cluster.Hosting;

/// <summary>Remoting, cluster membership, failure detection and the Split Brain Resolver of one node.</summary>
public static class MembershipWiring
{
    /// <summary>Akka remoting frames carry job configs and event pages; 4 MiB leaves room for the largest.</summary>
    public const int MaxFrameBytes = 4 * 1024 * 1024;

    public static AkkaConfigurationBuilder WithMembership(this AkkaConfigurationBuilder akka, ClusterNodeOptions o) => akka
        .WithRemoting(Remoting(o))
        .WithClustering(new ClusterOptions
        {
            SeedNodes = o.Seeds.Select(s => $"{o.RemotingProtocol}://{ClusterNodeOptions.SystemName}@{s}").ToArray(),
            Roles = o.Roles.ToArray(),
            MinimumNumberOfMembers = 1,
            // The survivors of a partition are the majority; its stable-after is the node's DowningStableAfter (SettingsWithoutBuilder).
            SplitBrainResolver = new KeepMajorityOption(),
            FailureDetector = new PhiAccrualFailureDetectorOptions
            {
                HeartbeatInterval = TimeSpan.FromSeconds(1),
                AcceptableHeartbeatPause = TimeSpan.FromSeconds(4),
                Threshold = 8.0,
            },
        })
        .AddHocon(SettingsWithoutBuilder.For(o), HoconAddMode.Prepend);

    private static RemoteOptions Remoting(ClusterNodeOptions o)
    {
        var remoting = new RemoteOptions { HostName = o.Host, PublicHostName = o.Host, Port = o.Port, MaxFrameSize = MaxFrameBytes };
        if (o.RemotingTls is { } tls)
        {
            // Mutual TLS: only holders of a certificate of the cluster's CA can connect, join or send anything.
            remoting.EnableSsl = true;
            remoting.Ssl = tls.Load();
        }
        return remoting;
    }
}
