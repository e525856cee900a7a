using Athanor.Cli.Client;
using Athanor.Protocol.V1;

namespace Athanor.Cli.Commands;

/// <summary>`cluster status JOB [--json]`: one job's state, progress and latest metrics.</summary>
public sealed class StatusCommand : ICommand
{
    public string Name => "status";
    public string Summary => "show a job's state, step, checkpoint and latest metrics";
    public string Usage => $$"""
        usage: cluster status JOB [--json] [--server ADDR] [--token T]

          JOB           the job id (from submit or list)
          --json        one JSON object: id, name, state, step, max_steps, world_size, attempts,
                        last_checkpoint_step, metrics {loss, lr, grad_norm, tokens_per_s, eval_loss, epoch},
                        created_at, updated_at, error, output_dir
        {{ClientCommandRunner.ConnectionUsage}}
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = ClientCommandRunner.Read("cluster status", args, [], ["--json"]);
        var id = ClientCommandRunner.JobId(reader, "cluster status");
        return ClientCommandRunner.Run(reader, cancel, async connection =>
        {
            var job = await connection.Jobs.GetJobAsync(new GetJobRequest { JobId = id }, connection.Unary(cancel));
            Console.WriteLine(reader.Has("--json") ? JobJson.Write(JobJson.Job(job)) : JobText.Status(job));
            return ExitCodes.Ok;
        });
    }
}
