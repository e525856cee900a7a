using System.Text.RegularExpressions;
using Athanor.Cli.Client;
using Athanor.Protocol.V1;
using Grpc.Core;

namespace Athanor.Cli.Commands;

/// <summary>`cluster submit CONFIG [--set k=v]... [--name N] [--follow]`: sends a job file's text to the server and queues it.</summary>
public sealed partial class SubmitCommand : ICommand
{
    public string Name => "submit";
    public string Summary => "submit a job file to a server (cluster serve); prints the job id";
    public string Usage => $"""
        usage: cluster submit CONFIG [--set key=value]... [--name NAME] [--follow] [--server ADDR] [--token T]

          CONFIG        a job YAML (docs/configuration.md), read here and sent as text. Paths in it are
                        paths on the server: relative ones resolve against the server's first data root
                        (output_dir and resume_from_checkpoint: against its output root).
          --set k=v     override any key (repeatable), checked by the server
          --name NAME   a name for people (shown by status and list)
          --follow      stream the job's progress until it ends; exit 0 only if it Succeeded
        {ClientCommandRunner.ConnectionUsage}
        The job id is the last word of the last line printed.
        """;

    private static readonly string[] PathKeys =
        ["model_name_or_path", "adapter_name_or_path", "tokenizer", "dataset_dir", "output_dir", "deepspeed", "resume_from_checkpoint"];

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = ClientCommandRunner.Read("cluster submit", args, ["--set", "--name"], ["--follow"]);
        reader.AtMostPositionals(1, "one job file");
        if (reader.Positionals.Count == 0) throw new UsageException("cluster submit: which job file? e.g. cluster submit examples/demo.yaml");
        var path = reader.Positionals[0];
        if (!File.Exists(path)) throw new UsageException($"{path}: the job file does not exist");
        var text = File.ReadAllText(path);
        var overrides = reader.All("--set");

        var request = new SubmitJobRequest { ConfigYaml = text, ConfigName = Path.GetFileName(path), Name = reader.One("--name") ?? "" };
        request.Overrides.AddRange(overrides);
        bool follow = reader.Has("--follow");
        return ClientCommandRunner.Run(reader, cancel, async connection =>
        {
            var job = await connection.Jobs.SubmitJobAsync(request, connection.Unary(cancel));
            // Only once the server has read the file: a file it refuses gets its error alone, not notes about broken lines.
            WarnAboutRelativePaths(text, overrides);
            if (!follow)
            {
                Console.WriteLine($"submitted {job.Id}");
                return ExitCodes.Ok;
            }
            Console.WriteLine($"submitted {job.Id}{(job.Name.Length > 0 ? $" ({job.Name})" : "")}; following its progress (Ctrl-C stops following, not the job)");
            return await Follow(connection, job.Id, cancel);
        });
    }

    private static async Task<int> Follow(ClusterConnection connection, string jobId, CancellationToken cancel)
    {
        JobState? final;
        try
        {
            final = await new EventFollower(connection).RunAsync(jobId, follow: true, e => Console.WriteLine(JobText.Event(e)), cancel);
        }
        catch (Exception ex) when (cancel.IsCancellationRequested && ex is OperationCanceledException or RpcException)
        {
            Console.Error.WriteLine($"stopped following; the job goes on: cluster logs -f {jobId}, cluster cancel {jobId}");
            Console.WriteLine($"following stopped {jobId}");
            return ExitCodes.Interrupted;
        }
        if (final is JobState.Failed)
        {
            var job = await connection.Jobs.GetJobAsync(new GetJobRequest { JobId = jobId }, connection.Unary(cancel));
            Console.Error.WriteLine($"error: the job failed: {job.Error}");
        }
        Console.WriteLine($"{(final is JobState state ? JobText.StateName(state) : "Unknown")} {jobId}");
        return final == JobState.Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
    }

    // The file is read here but its paths are opened on the server: say so when that may surprise.
    private static void WarnAboutRelativePaths(string yaml, IReadOnlyList<string> overrides)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in PathLine().Matches(yaml)) values[m.Groups[1].Value] = m.Groups[2].Value.Trim().Trim('"', '\'');
        foreach (var o in overrides)
            if (o.Split('=', 2) is [var k, var v]) values[k.Trim()] = v.Trim().Trim('"', '\'');
        var relative = values.Where(kv => PathKeys.Contains(kv.Key) && kv.Value.Length > 0 && !Path.IsPathRooted(kv.Value) && !IsNotAPath(kv.Key, kv.Value))
            .Select(kv => $"{kv.Key} '{kv.Value}' against its {(kv.Key is "output_dir" or "resume_from_checkpoint" ? "output root" : "first data root")}")
            .ToList();
        if (relative.Count > 0)
            Console.Error.WriteLine($"note: relative paths resolve on the server: {string.Join(", ", relative)}");
    }

    private static bool IsNotAPath(string key, string value) =>
        value is "null" or "~" || (key == "tokenizer" && value is "model" or "byte") || (key == "resume_from_checkpoint" && value == "auto");

    [GeneratedRegex(@"^\s*([a-z_]+)\s*:\s*([^#\r\n]*)", RegexOptions.Multiline)]
    private static partial Regex PathLine();
}
