using Akka.Hosting;
using Akka.Persistence.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Athanor.Cluster.Core.Tests;

/// <summary>
/// An in-memory actor system per test (Akka.Hosting.TestKit) with an in-memory journal and a fake clock: the
/// coordinator's and the job entities' protocols, message in, messages and events out, without processes or sockets.
/// </summary>
public abstract class ProtocolTestKit(string name, ITestOutputHelper output)
    : Akka.Hosting.TestKit.TestKit(name, output, logLevel: Microsoft.Extensions.Logging.LogLevel.Information)
{
    /// <summary>The time every actor under test reads; tests move it forward by hand.</summary>
    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>How long an expected message may take, and how long "nothing comes" is watched: the actors answer in milliseconds.</summary>
    protected static readonly TimeSpan Quick = TimeSpan.FromSeconds(3);
    protected static readonly TimeSpan Silence = TimeSpan.FromMilliseconds(200);

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.WithInMemoryJournal().WithInMemorySnapshotStore();
}
