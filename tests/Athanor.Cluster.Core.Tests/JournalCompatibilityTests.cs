using Akka.Serialization;
using Athanor.Cluster.Messages;
using Athanor.Node.Backend;

namespace Athanor.Cluster.Core.Tests;

/// <summary>
/// Events already in a journal must replay. JobFinished.Phase was an enum JobPhase {Pending, Running, Succeeded, Failed,
/// Cancelled}; it is now JobState with the same members in the same order, and the journal's serializer (Akka's JSON
/// serializer, the default) writes enums as numbers under the property's name, so the stored shape is unchanged.
/// </summary>
public sealed class JournalCompatibilityTests(ITestOutputHelper output) : ProtocolTestKit(nameof(JournalCompatibilityTests), output)
{
    private Serializer Json => Sys.Serialization.FindSerializerForType(typeof(JobFinished));

    [Fact]
    public void AJobFinishedWrittenWithTheOldPhaseEnumReplaysAsTheSameState()
    {
        // As the version with JobPhase wrote it: type name, property names and the enum as its number (3: Failed).
        const string written = """{"$type":"Athanor.Cluster.Messages.JobFinished, Athanor.Cluster","Phase":3,"Error":"boom","TimeUtc":"2026-12-01T12:00:00Z"}""";
        var replayed = Assert.IsType<JobFinished>(Json.FromBinary(System.Text.Encoding.UTF8.GetBytes(written), typeof(JobFinished)));
        Assert.Equal((JobState.Failed, "boom"), (replayed.Phase, replayed.Error));
    }

    [Fact]
    public void AJobFinishedIsStillWrittenWithThePhaseAsANumber()
    {
        var text = System.Text.Encoding.UTF8.GetString(Json.ToBinary(new JobFinished(JobState.Cancelled, null, new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc))));
        Assert.Contains("\"$type\":\"Athanor.Cluster.Messages.JobFinished, Athanor.Cluster\"", text);
        Assert.Contains("\"Phase\":4", text);
    }

    [Fact]
    public void TheJobStateMembersKeepTheOldNumbers()
    {
        Assert.Equal([0, 1, 2, 3, 4], new[] { JobState.Pending, JobState.Running, JobState.Succeeded, JobState.Failed, JobState.Cancelled }.Select(s => (int)s));
    }
}
