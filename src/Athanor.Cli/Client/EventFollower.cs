using Athanor.Protocol.V1;
using Grpc.Core;

namespace Athanor.Cli.Client;

/// <summary>
/// Reads a job's events through WatchJob. When the stream breaks (server restart behind a load balancer,
/// network blip), it reconnects from the sequence after the last one seen, so no event is shown twice
/// or missed; it gives up after a few failed reconnects in a row.
/// </summary>
public sealed class EventFollower(ClusterConnection connection)
{
    public const int MaxReconnects = 5;

    /// <summary>Sends every event to <paramref name="onEvent"/>; returns the final state (or null when not following and the job has not ended).</summary>
    public async Task<JobState?> RunAsync(string jobId, bool follow, Action<JobEvent> onEvent, CancellationToken cancel)
    {
        long next = 1;
        int failures = 0;
        JobState? final = null;
        while (true)
        {
            try
            {
                using var call = connection.Jobs.WatchJob(new WatchJobRequest { JobId = jobId, FromSequence = next, Follow = follow },
                    connection.Streaming(cancel));
                await foreach (var e in call.ResponseStream.ReadAllAsync(cancel).ConfigureAwait(false))
                {
                    failures = 0;
                    next = e.Sequence + 1;
                    onEvent(e);
                    if (e.KindCase == JobEvent.KindOneofCase.StateChanged && JobText.IsFinal(e.StateChanged.State)) final = e.StateChanged.State;
                }
                return final;
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal && !cancel.IsCancellationRequested
                                          && ++failures <= MaxReconnects)
            {
                Console.Error.WriteLine($"watch interrupted ({ex.StatusCode}); reconnecting from event {next} ({failures}/{MaxReconnects})");
                await Task.Delay(TimeSpan.FromMilliseconds(500 * failures), cancel).ConfigureAwait(false);
            }
        }
    }
}
