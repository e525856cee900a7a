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
              {{Bootstrap(o)}}
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
                # The read side (ListJobs lists the journal's persistence ids) has its own connection settings;
                # left at their empty defaults every query fails with "DataProvider '' not found".
                query.journal.sql {
                  connection-string = {{Quote(connection)}}
                  provider-name = {{Quote(provider)}}
                  write-plugin = "akka.persistence.journal.sql"
                }
              }
            }
            """;
    }

    /// <summary>
    /// Akka.Management Cluster Bootstrap and the Akka.Discovery method it asks for contact points. Akka.Management's own
    /// HTTP server is never started (see ClusterBootstrapping): the node's HTTP port serves the contact point.
    /// </summary>
    private static string Bootstrap(ClusterNodeOptions o)
    {
        if (!o.UsesBootstrap) return "";
        string margin = ((int)o.BootstrapStableMargin.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        string method = o.Discovery == "config" ? "config" : "athanor-kubernetes";
        string discovery = o.Discovery == "config"
            ? $$"""
              discovery.config.services.{{ServiceName}}.endpoints = [{{string.Join(", ", o.ContactPoints.Select(Quote))}}]
              """
            : $$"""
              discovery.athanor-kubernetes {
                class = "{{typeof(KubernetesPodDiscovery).FullName}}, {{typeof(KubernetesPodDiscovery).Assembly.GetName().Name}}"
                pod-label-selector = {{Quote(o.KubernetesLabelSelector!)}}
                pod-namespace = {{Quote(o.KubernetesNamespace ?? "")}}
                {{(o.KubernetesApiCaPath is string ca ? "api-ca-path = " + Quote(ca) : "")}}
                {{(o.KubernetesApiTokenPath is string token ? "api-token-path = " + Quote(token) : "")}}
              }
              """;
        return $$"""
            {{discovery}}
            management.http {
              hostname = {{Quote(o.Host)}}
              port = {{o.HttpPort}}
            }
            management.cluster.bootstrap {
              new-cluster-enabled = on
              contact-point-discovery {
                service-name = {{Quote(ServiceName)}}
                discovery-method = {{method}}
                port-name = {{(o.Discovery == "kubernetes" ? Quote(o.KubernetesPortName) : "\"\"")}}
                required-contact-point-nr = {{o.EffectiveRequiredContactPoints}}
                stable-margin = {{margin}}
                contact-with-all-contact-points = true
              }
              contact-point {
                fallback-port = {{o.HttpPort}}
                # Members on one machine differ only by port: probe every discovered one, not just those on ours.
                filter-on-fallback-port = false
                probe-interval = 1s
              }
            }
            """;
    }

    /// <summary>The name bootstrap looks up in discovery (config discovery's service key).</summary>
    public const string ServiceName = "athanor";

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
