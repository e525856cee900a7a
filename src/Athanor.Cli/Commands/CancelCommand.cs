using Athanor.Cli.Client;
using Athanor.Protocol.V1;

namespace Athanor.Cli.Commands;

/// <summary>`cluster cancel JOB`: stops a pending job at once, a running one after its current step (with a checkpoint).</summary>
public sealed class CancelCommand : ICommand
{
    public string Name => "cancel";
    public string Summary => "cancel a job (a running job saves a checkpoint first)";
    public string Usage => $"""
        usage: cluster cancel JOB [--server ADDR] [--token T]

          JOB           the job id. A pending job is cancelled at once; a running job finishes its
                        current step, saves a checkpoint and ends Cancelled (resume it with
                        --set resume_from_checkpoint=auto). Finished jobs cannot be cancelled (exit 2).
        {ClientCommandRunner.ConnectionUsage}
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = ClientCommandRunner.Read("cluster cancel", args, [], []);
        var id = ClientCommandRunner.JobId(reader, "cluster cancel");
        return ClientCommandRunner.Run(reader, cancel, async connection =>
        {
            var job = await connection.Jobs.CancelJobAsync(new CancelJobRequest { JobId = id }, connection.Unary(cancel));
            Console.WriteLine(job.State == JobState.Cancelled
                ? $"cancelled {job.Id}"
                : $"cancel requested: the job stops after its current step and saves a checkpoint (cluster logs -f {job.Id}) {job.Id}");
            return ExitCodes.Ok;
        });
    }
}
