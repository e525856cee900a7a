using Athanor.Cli.Client;
using Athanor.Protocol.V1;

namespace Athanor.Cli.Commands;

/// <summary>`cluster list [--state S]... [--json]`: the server's jobs, newest first.</summary>
public sealed class ListCommand : ICommand
{
    private const int PageSize = 500;

    public string Name => "list";
    public string Summary => "list jobs, newest first (optionally only some states)";
    public string Usage => $"""
        usage: cluster list [--state S]... [--json] [--server ADDR] [--token T]

          --state S     only jobs in state S: Pending, Running, Succeeded, Failed or Cancelled
                        (repeatable, or comma-separated: --state Pending,Running)
          --json        a JSON array of the objects `cluster status --json` prints
        {ClientCommandRunner.ConnectionUsage}
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = ClientCommandRunner.Read("cluster list", args, ["--state"], ["--json"]);
        reader.AtMostPositionals(0, "no arguments besides flags");
        var request = new ListJobsRequest { PageSize = PageSize };
        foreach (var name in reader.All("--state").SelectMany(s => s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
            request.States.Add(ParseState(name));
        return ClientCommandRunner.Run(reader, cancel, async connection =>
        {
            var jobs = new List<Job>();
            do
            {
                var page = await connection.Jobs.ListJobsAsync(request, connection.Unary(cancel));
                jobs.AddRange(page.Jobs);
                request.PageToken = page.NextPageToken;
            } while (request.PageToken.Length > 0);
            if (reader.Has("--json")) Console.WriteLine(JobJson.Array(jobs.Select(JobJson.Job)));
            else Console.WriteLine(jobs.Count == 0 ? "no jobs" : JobText.JobTable(jobs));
            return ExitCodes.Ok;
        });
    }

    private static JobState ParseState(string name) =>
        Enum.TryParse<JobState>(name, ignoreCase: true, out var state) && state != JobState.Unspecified && Enum.IsDefined(state) && !int.TryParse(name, out _)
            ? state
            : throw new UsageException($"cluster list: --state '{name}' is not a job state; accepted: Pending, Running, Succeeded, Failed, Cancelled");
}
