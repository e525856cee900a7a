using Athanor.Cli.Client;

namespace Athanor.Cli.Commands;

/// <summary>`cluster logs JOB [-f]`: the job's events (state changes, progress, evaluations, checkpoints, log lines).</summary>
public sealed class LogsCommand : ICommand
{
    public string Name => "logs";
    public string Summary => "print a job's log and progress; -f follows it until it ends";
    public string Usage => $"""
        usage: cluster logs JOB [-f|--follow] [--server ADDR] [--token T]

          JOB           the job id
          -f, --follow  keep printing until the job ends (Ctrl-C stops following, not the job)
        {ClientCommandRunner.ConnectionUsage}
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        // The flag reader knows only --long flags; -f is the one short flag, and only as a whole word.
        var expanded = args.Select(a => a == "-f" ? "--follow" : a).ToList();
        var reader = ClientCommandRunner.Read("cluster logs", expanded, [], ["--follow"]);
        var id = ClientCommandRunner.JobId(reader, "cluster logs");
        return ClientCommandRunner.Run(reader, cancel, async connection =>
        {
            await new EventFollower(connection).RunAsync(id, reader.Has("--follow"), e => Console.WriteLine(JobText.Event(e)), cancel);
            return ExitCodes.Ok;
        });
    }
}
