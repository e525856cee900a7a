using System.Globalization;

namespace Athanor.Cluster.Hosting;

/// <summary>The HOCON of one node: remoting, cluster membership, Split Brain Resolver, sharding and the SQL journal.</summary>
public static class ClusterConfig
{
    public static string Hocon(ClusterNodeOptions o)
    {
        var (provider, connection) = o.ParseJournal();
        string seeds = string.Join(", ", o.Seeds.Select(s => Quote($"akka.tcp://{ClusterNodeOptions.SystemName}@{s}")));
        string roles = string.Join(", ", o.Roles.Select(Quote));
        string stable = ((int)o.DowningStableAfter.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        return $$"""
            akka {
              loglevel = {{o.LogLevel}}
              stdout-loglevel = {{o.LogLevel}}
              log-dead-letters = {{(o.LogLevel is "INFO" or "DEBUG" ? "10" : "off")}}
              actor {
                provider = cluster
                serialize-messages = off
              }
              remote.dot-netty.tcp {
                hostname = {{Quote(o.Host)}}
                public-hostname = {{Quote(o.Host)}}
                port = {{o.Port}}
                maximum-frame-size = 4MiB
              }
              cluster {
                seed-nodes = [{{seeds}}]
                roles = [{{roles}}]
                min-nr-of-members = 1
                downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                split-brain-resolver {
                  active-strategy = keep-majority
                  stable-after = {{stable}}
                  down-all-when-unstable = off
                }
                failure-detector {
                  heartbeat-interval = 1s
                  acceptable-heartbeat-pause = 4s
                  threshold = 8.0
                }
                sharding {
                  remember-entities = on
                  remember-entities-store = eventsourced
                  role = "coordinator"
                  passivate-idle-entity-after = off
                }
                singleton.hand-over-retry-interval = 1s
                singleton-proxy.buffer-size = 10000
              }
              coordinated-shutdown {
                exit-clr = off
                run-by-clr-shutdown-hook = off
                phases.before-cluster-shutdown.timeout = {{(int)o.DrainTimeout.TotalSeconds + 10}}s
              }
              persistence {
                journal {
                  plugin = "akka.persistence.journal.sql"
                  sql {
                    connection-string = {{Quote(connection)}}
                    provider-name = {{Quote(provider)}}
                    auto-initialize = on
                  }
                }
                snapshot-store {
                  plugin = "akka.persistence.snapshot-store.sql"
                  sql {
                    connection-string = {{Quote(connection)}}
                    provider-name = {{Quote(provider)}}
                    auto-initialize = on
                  }
                }
              }
            }
            """;
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
