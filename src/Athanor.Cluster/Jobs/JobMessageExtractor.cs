using Akka.Cluster.Sharding;
using Athanor.Cluster.Messages;

namespace Athanor.Cluster.Jobs;

/// <summary>Routes job messages to their entity by job id.</summary>
public sealed class JobMessageExtractor(int shards = 50) : HashCodeMessageExtractor(shards)
{
    public override string? EntityId(object message) => (message as IJobMessage)?.JobId;
}
