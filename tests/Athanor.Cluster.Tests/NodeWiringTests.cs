using System.Net;
using System.Net.Sockets;
using Akka.Cluster.Tools.Singleton;
using Athanor.Cluster.Hosting;

namespace Athanor.Cluster.Tests;

/// <summary>
/// The settings a node runs with, read back from its started actor system: those the HOCON of the earlier wiring
/// (ClusterConfig, until aab915a) set, now from Akka.Hosting's builders and <see cref="SettingsWithoutBuilder"/>.
/// </summary>
public class NodeWiringTests
{
    [Fact]
    public async Task ANodeRunsWithTheRemotingMembershipDowningShardingAndJournalSettingsOfTheEarlierWiring()
    {
        using var temp = new TempFolder();
        int port = FreePort();
        var options = new ClusterNodeOptions
        {
            Port = port, Seeds = [$"127.0.0.1:{port}"], Devices = "cpu:1", DataDir = temp.Sub("node"),
            DowningStableAfter = TimeSpan.FromSeconds(9), DrainTimeout = TimeSpan.FromSeconds(30), LogLevel = "WARNING",
        };
        await using var node = await ClusterNode.StartAsync(options);
        var config = node.System.Settings.Config;

        Assert.Equal("127.0.0.1", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal("127.0.0.1", config.GetString("akka.remote.dot-netty.tcp.public-hostname"));
        Assert.Equal(port, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(4L * 1024 * 1024, config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size"));
        Assert.Equal([$"akka.tcp://athanor@127.0.0.1:{port}"], config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(["coordinator", "worker"], config.GetStringList("akka.cluster.roles"));
        Assert.Equal(1, config.GetInt("akka.cluster.min-nr-of-members"));
        Assert.Contains("Akka.Cluster.SBR.SplitBrainResolverProvider", config.GetString("akka.cluster.downing-provider-class"));
        Assert.Equal("keep-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Equal(TimeSpan.FromSeconds(9), config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.False(config.GetBoolean("akka.cluster.split-brain-resolver.down-all-when-unstable"));
        Assert.Equal(TimeSpan.FromSeconds(1), config.GetTimeSpan("akka.cluster.failure-detector.heartbeat-interval"));
        Assert.Equal(TimeSpan.FromSeconds(4), config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause"));
        Assert.Equal(8.0, config.GetDouble("akka.cluster.failure-detector.threshold"));
        Assert.Equal(TimeSpan.FromSeconds(40), config.GetTimeSpan("akka.coordinated-shutdown.phases.before-cluster-shutdown.timeout"));
        Assert.False(config.GetBoolean("akka.coordinated-shutdown.exit-clr"));
        Assert.False(config.GetBoolean("akka.coordinated-shutdown.run-by-clr-shutdown-hook"));
        Assert.Equal("WARNING", config.GetString("akka.stdout-loglevel"));
        Assert.Equal("off", config.GetString("akka.log-dead-letters"));

        // The job region's own settings (role, remembered entities, their store) are the region's, not the system's:
        // JournalCompatibilityTests proves them on a journal of the earlier wiring.
        Assert.Equal(TimeSpan.FromSeconds(1), ClusterSingletonManagerSettings.Create(node.System).HandOverRetryInterval);

        Assert.Equal("akka.persistence.journal.sql", config.GetString("akka.persistence.journal.plugin"));
        Assert.Equal("akka.persistence.snapshot-store.sql", config.GetString("akka.persistence.snapshot-store.plugin"));
        foreach (var plugin in new[] { "akka.persistence.journal.sql", "akka.persistence.snapshot-store.sql", "akka.persistence.query.journal.sql" })
        {
            Assert.Equal("SQLite.MS", config.GetString(plugin + ".provider-name"));
            Assert.Equal($"Data Source={Path.Combine(temp.Sub("node"), "journal.db")}", config.GetString(plugin + ".connection-string"));
        }
        Assert.True(config.GetBoolean("akka.persistence.journal.sql.auto-initialize"));
        Assert.Equal("default", config.GetString("akka.persistence.journal.sql.table-mapping"));
        Assert.Equal("TagTable", config.GetString("akka.persistence.journal.sql.tag-write-mode"));
        Assert.Equal("journal", config.GetString("akka.persistence.journal.sql.default.journal.table-name"));
    }

    [Fact]
    public async Task ABootstrappedNodeProbesItsContactPointsWithTheEarlierSettings()
    {
        using var temp = new TempFolder();
        int port = FreePort(), http = FreePort();
        var options = new ClusterNodeOptions
        {
            Port = port, Devices = "cpu:1", DataDir = temp.Sub("node"), Discovery = "config", HttpPort = http,
            ContactPoints = [$"127.0.0.1:{http}", "127.0.0.1:1"], RequiredContactPoints = 1, LogLevel = "ERROR",
        };
        await using var node = await ClusterNode.StartAsync(options); // bootstrap itself starts later (ClusterBootstrapping)
        var config = node.System.Settings.Config;

        Assert.Equal([$"127.0.0.1:{http}", "127.0.0.1:1"], config.GetStringList("akka.discovery.config.services.athanor.endpoints"));
        const string bootstrap = "akka.management.cluster.bootstrap.";
        Assert.True(config.GetBoolean(bootstrap + "new-cluster-enabled"));
        Assert.Equal("athanor", config.GetString(bootstrap + "contact-point-discovery.service-name"));
        Assert.Equal("config", config.GetString(bootstrap + "contact-point-discovery.discovery-method"));
        Assert.Equal(1, config.GetInt(bootstrap + "contact-point-discovery.required-contact-point-nr"));
        Assert.Equal(TimeSpan.FromSeconds(5), config.GetTimeSpan(bootstrap + "contact-point-discovery.stable-margin"));
        Assert.True(config.GetBoolean(bootstrap + "contact-point-discovery.contact-with-all-contact-points"));
        Assert.Equal(http, config.GetInt(bootstrap + "contact-point.fallback-port"));
        Assert.False(config.GetBoolean(bootstrap + "contact-point.filter-on-fallback-port"));
        Assert.Equal(TimeSpan.FromSeconds(1), config.GetTimeSpan(bootstrap + "contact-point.probe-interval"));
        Assert.Equal("127.0.0.1", config.GetString("akka.management.http.hostname"));
        Assert.Equal(http, config.GetInt("akka.management.http.port"));
        Assert.Empty(config.GetStringList("akka.cluster.seed-nodes"));
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
