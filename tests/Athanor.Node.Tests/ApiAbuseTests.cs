using System.Diagnostics;
using System.Text;
using Athanor.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Xunit.Abstractions;

namespace Athanor.Node.Tests;

/// <summary>
/// A bounded, deterministic abuse run against a real node on loopback: every malformed input class of issue 20
/// (paths outside the roots and through links, NUL bytes, devices, keys of any characters, huge ids and values,
/// deep YAML, aliases, quoted numbers, mappings, bodies that are not a message, calls without a token) plus
/// random request fields, random bytes, mutated messages and random YAML. No answer may be INTERNAL or
/// UNKNOWN, the health service answers throughout, and a small valid job succeeds afterwards.
/// </summary>
public class ApiAbuseTests(ITestOutputHelper output)
{
    private const int Seed = 20_2026;
    private const int Rounds = 1800;

    private static readonly string[] Methods =
    [
        "/athanor.v1.JobService/SubmitJob", "/athanor.v1.JobService/GetJob", "/athanor.v1.JobService/ListJobs",
        "/athanor.v1.JobService/CancelJob", "/athanor.v1.JobService/WatchJob", "/athanor.v1.ClusterService/ListNodes",
        "/athanor.v1.ClusterService/GetClusterStatus",
    ];

    private static readonly string[] Keys =
    [
        "model_name_or_path", "tokenizer", "dataset", "dataset_dir", "output_dir", "deepspeed", "learning_rate", "max_steps",
        "save_steps", "logging_steps", "cutoff_len", "lora_target", "finetuning_type", "world_size", "resume_from_checkpoint",
        "eval_tasks", "eval_prompts", "logging_dir", "tokenized_path", "adapter_name_or_path", "report_to", "ddp_timeout",
        "学习率", "learning_ratè", "bad\u0001key", "", "x", new string('k', 5000),
    ];

    private static readonly string[] Values =
    [
        "1", "-1", "0", "1e-4", "'30'", "\"8\"", "NaN", ".inf", "1e999", "2147483648", "-2147483649", "null", "~", "true", "yes",
        "{a: 1}", "[a, b]", "[[[[", "]]", "{", "}", "&a 1", "*a", "!!python/object:os.system", "|\n  x", ">", "'unclosed", "\"\\0\"",
        "/etc/passwd", "/dev/zero", "/proc/self/environ", "../../../../etc", "model\0x", "link/../..", "data", "runs/x", "学习",
        "\u0007", "\t", new string('[', 3000), new string('9', 100_000), "a,b,,c", "perplexity:/etc/passwd", "auto",
    ];

    [Fact]
    public async Task MalformedAndRandomRequestsNeverGetInternalAndTheServerStaysResponsive()
    {
        await using var node = await TestNode.StartAsync();
        File.CreateSymbolicLink(Path.Combine(node.DataRoot, "link"), "/etc");
        var random = new Random(Seed);
        var jobs = node.Jobs();
        var cluster = node.Cluster();
        var health = new Health.HealthClient(node.Channel(token: null));
        var valid = new SubmitJobRequest { ConfigYaml = node.JobYaml(), Overrides = { "max_steps=1" } }.ToByteArray();
        var counts = new SortedDictionary<string, int>();
        var clock = Stopwatch.StartNew();
        var memoryBefore = Process.GetCurrentProcess().WorkingSet64;

        for (int round = 0; round < Rounds; round++)
        {
            var (what, status, message) = await OneCase(round, random, node, jobs, cluster, valid);
            counts[status.ToString()] = counts.GetValueOrDefault(status.ToString()) + 1;
            Assert.False(status is StatusCode.Internal or StatusCode.Unknown,
                $"round {round} ({what}): {status} {message[..Math.Min(message.Length, 400)]}");
            if (round % 50 == 0)
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10))).Status);
        }
        output.WriteLine($"{Rounds} requests in {clock.Elapsed.TotalSeconds:F1} s: {string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}"))}; " +
                         $"working set {memoryBefore >> 20} -> {Process.GetCurrentProcess().WorkingSet64 >> 20} MiB");

        // Whatever random requests were accepted is cancelled; then a small valid job runs to the end.
        foreach (var job in (await jobs.ListJobsAsync(new ListJobsRequest { PageSize = 1000 })).Jobs)
            if (job.State is JobState.Pending or JobState.Running)
                await jobs.CancelJobAsync(new CancelJobRequest { JobId = job.Id });
        var after = await node.SubmitAsync("after-abuse", "", "max_steps=1");
        var done = await node.WaitForAsync(after.Id, j => j.State is JobState.Succeeded or JobState.Failed or JobState.Cancelled, TimeSpan.FromMinutes(3));
        Assert.Equal(JobState.Succeeded, done.State);
    }

    private static async Task<(string What, StatusCode Status, string Message)> OneCase(int round, Random random, TestNode node,
        JobService.JobServiceClient jobs, ClusterService.ClusterServiceClient cluster, byte[] valid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        try
        {
            switch (round % 9)
            {
                case 0: // random bytes, framed or not, to any method, with or without the token
                {
                    var bytes = new byte[random.Next(0, 300)];
                    random.NextBytes(bytes);
                    var body = random.Next(2) == 0 ? RawGrpc.Frame(bytes) : bytes;
                    var (_, status, message) = await RawGrpc.CallAsync(node.Host.Address, Pick(random, Methods), body, random.Next(4) == 0 ? null : TestNode.Token);
                    return ("random bytes", status ?? StatusCode.Unknown, message);
                }
                case 1: // a valid SubmitJob message with a few bytes changed
                {
                    var mutated = (byte[])valid.Clone();
                    for (int i = random.Next(1, 6); i > 0; i--) mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                    var (_, status, message) = await RawGrpc.CallAsync(node.Host.Address, Methods[0], RawGrpc.Frame(mutated), TestNode.Token);
                    if (status == StatusCode.OK) await CancelEverything(jobs);
                    return ("mutated message", status ?? StatusCode.Unknown, message);
                }
                case 2: // random YAML built from fragments
                {
                    var yaml = new StringBuilder();
                    for (int i = random.Next(1, 12); i > 0; i--)
                        yaml.Append(random.Next(5) == 0 ? Pick(random, Values) : $"{Pick(random, Keys)}: {Pick(random, Values)}").Append(random.Next(6) == 0 ? " " : "\n");
                    return await Submit(jobs, new SubmitJobRequest { ConfigYaml = yaml.ToString(), ConfigName = RandomText(random, 30) }, deadline, "random yaml");
                }
                case 3: // the tiny job with random overrides
                {
                    var request = new SubmitJobRequest { ConfigYaml = node.JobYaml(), ConfigName = "job.yaml", Name = RandomText(random, 20) };
                    for (int i = random.Next(1, 4); i > 0; i--)
                        request.Overrides.Add(random.Next(8) == 0 ? RandomText(random, 50) : $"{Pick(random, Keys)}={Pick(random, Values)}");
                    return await Submit(jobs, request, deadline, "random overrides");
                }
                case 4: // structured fields with random keys and values
                {
                    var request = new SubmitJobRequest { Fields = new JobFields() };
                    for (int i = random.Next(1, 8); i > 0; i--)
                        request.Fields.Values[random.Next(3) == 0 ? RandomText(random, 20) : Pick(random, Keys)] = random.Next(3) == 0 ? RandomText(random, 40) : Pick(random, Values);
                    return await Submit(jobs, request, deadline, "random fields");
                }
                case 5: // job ids of any shape
                {
                    var id = random.Next(6) switch
                    {
                        0 => new string('x', random.Next(60_000, 300_000)), 1 => "", 2 => "job-" + RandomText(random, 10),
                        3 => "job-" + Convert.ToHexString(BitConverter.GetBytes(random.NextInt64())), _ => RandomText(random, 80),
                    };
                    Func<Task> call = random.Next(3) switch
                    {
                        0 => async () => await jobs.GetJobAsync(new GetJobRequest { JobId = id }, deadline: deadline),
                        1 => async () => await jobs.CancelJobAsync(new CancelJobRequest { JobId = id }, deadline: deadline),
                        _ => async () =>
                        {
                            using var watch = jobs.WatchJob(new WatchJobRequest { JobId = id, FromSequence = random.NextInt64(-5, long.MaxValue) }, deadline: deadline);
                            while (await watch.ResponseStream.MoveNext()) { }
                        },
                    };
                    await call();
                    return ("job id", StatusCode.OK, "");
                }
                case 6: // listing with random pages, states and tokens; cluster calls
                {
                    var request = new ListJobsRequest { PageSize = random.Next(-5, 3) == 0 ? random.Next() : random.Next(-2000, 2000), PageToken = random.Next(2) == 0 ? "" : RandomText(random, 100) };
                    for (int i = random.Next(0, 3); i > 0; i--) request.States.Add((JobState)random.Next(-2, 9));
                    await jobs.ListJobsAsync(request, deadline: deadline);
                    await cluster.GetClusterStatusAsync(new GetClusterStatusRequest(), deadline: deadline);
                    await cluster.ListNodesAsync(new ListNodesRequest(), deadline: deadline);
                    return ("list", StatusCode.OK, "");
                }
                case 7: // the known bad inputs of issue 20, one each in turn
                {
                    var known = KnownBadOverrides(node);
                    var request = new SubmitJobRequest { ConfigYaml = node.JobYaml(), ConfigName = "job.yaml" };
                    request.Overrides.AddRange(known[round / 9 % known.Length]);
                    return await Submit(jobs, request, deadline, "known: " + string.Join(' ', request.Overrides).Replace('\0', '0')[..Math.Min(60, string.Join(' ', request.Overrides).Length)]);
                }
                default: // whole documents that are not job files
                {
                    var documents = new[]
                    {
                        new string('[', 80_000), "- a\n- b\n", "just text", "", "---\na: 1\n---\nb: 2\n", "a: &x [1]\nb: *x\n", "{" + new string('{', 5000),
                        "model_name_or_path: \"a\\0b\"\n", "\"\\x01\": 1\n", "? [a, b]\n: c\n", "a: !!binary AAAA\n", "\t\tmodel: x\n",
                    };
                    return await Submit(jobs, new SubmitJobRequest { ConfigYaml = documents[round / 9 % documents.Length] }, deadline, "document");
                }
            }
        }
        catch (RpcException ex)
        {
            return ($"case {round % 9}", ex.StatusCode, ex.Status.Detail);
        }
    }

    private static string[][] KnownBadOverrides(TestNode node) =>
    [
        ["deepspeed=/etc/passwd"], ["deepspeed=/dev/zero"], ["deepspeed=link/passwd"], ["model_name_or_path=link/.."], ["output_dir=../../../../tmp/x"],
        ["model_name_or_path=model\0x"], ["学习率=1"], ["bad\u0001key=1"], ["max_steps='30'"], ["model_name_or_path={a: 1}"],
        ["learning_rate=" + new string('1', 200_000)], ["max_world_size=2147483647"], ["world_size=1000"], ["learning_rate=NaN"],
        [$"dataset_dir={node.Root}/../../etc"], ["eval_tasks=perplexity:/etc/passwd"], ["tokenizer=/proc/self/environ"],
    ];

    private static async Task<(string, StatusCode, string)> Submit(JobService.JobServiceClient jobs, SubmitJobRequest request, DateTime deadline, string what)
    {
        var job = await jobs.SubmitJobAsync(request, deadline: deadline);
        await jobs.CancelJobAsync(new CancelJobRequest { JobId = job.Id }, deadline: deadline);
        return (what + " (accepted)", StatusCode.OK, "");
    }

    private static async Task CancelEverything(JobService.JobServiceClient jobs)
    {
        foreach (var job in (await jobs.ListJobsAsync(new ListJobsRequest { States = { JobState.Pending, JobState.Running } })).Jobs)
            await jobs.CancelJobAsync(new CancelJobRequest { JobId = job.Id });
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    // Any UTF-16 code points but lone surrogates: ASCII, controls, Latin, CJK, emoji.
    private static string RandomText(Random random, int maxLength)
    {
        var b = new StringBuilder();
        for (int i = random.Next(0, maxLength); i > 0; i--)
        {
            int kind = random.Next(5);
            b.Append(kind switch
            {
                0 => ((char)random.Next(0, 32)).ToString(),
                1 => ((char)random.Next(0x4e00, 0x9fff)).ToString(),
                2 => char.ConvertFromUtf32(random.Next(0x1f300, 0x1f5ff)),
                3 => ((char)random.Next(0xa0, 0x2000)).ToString(),
                _ => ((char)random.Next(32, 127)).ToString(),
            });
        }
        return b.ToString();
    }
}
