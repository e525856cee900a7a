using System.Reflection;
using Athanor.Cluster.Backend;
using Athanor.Node.Hosting;
using Athanor.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Athanor.Node.Tests;

/// <summary>
/// A real `cluster serve` server on a free loopback port (<see cref="SingleNodeServer"/>: NodeHost over a one-member
/// cluster's ClusterJobBackend, its journal under the output root) in a temporary folder with a data root (tiny model
/// config), the repository's demo data as a second data root, and an output root. Clients are real Grpc.Net.Client channels.
/// </summary>
internal sealed class TestNode : IAsyncDisposable
{
    public const string Token = "test-token-0123456789abcdef";

    private readonly List<GrpcChannel> _channels = [];

    private TestNode(string root, SingleNodeServer server)
    {
        Root = root;
        Server = server;
    }

    public static string RepoRoot => Path.GetFullPath(typeof(TestNode).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!);

    public static string DemoRoot => Path.Combine(RepoRoot, "examples", "demo");

    public string Root { get; }

    public string DataRoot => Path.Combine(Root, "data");

    public string OutputRoot => Path.Combine(Root, "runs");

    public SingleNodeServer Server { get; }

    public NodeHost Host => Server.Host;

    public ClusterJobBackend Backend => Server.Backend;

    public static async Task<TestNode> StartAsync(Func<string, NodeOptions, NodeOptions>? adjust = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "athanor-node-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(root, "data", "model"));
        Directory.CreateDirectory(Path.Combine(root, "runs"));
        File.WriteAllText(Path.Combine(root, "data", "model", "config.json"), """
            {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 262, "rope_theta": 10000.0,
             "tie_word_embeddings": true, "eos_token_id": 257, "pad_token_id": 258}
            """);
        File.WriteAllText(Path.Combine(root, "token"), Token + "\n");
        var options = new NodeOptions
        {
            GrpcPort = 0,
            TokenFile = Path.Combine(root, "token"),
            DataRoots = [Path.Combine(root, "data"), DemoRoot],
            OutputRoot = Path.Combine(root, "runs"),
        };
        if (adjust is not null) options = adjust(root, options);
        return new TestNode(root, await SingleNodeServer.StartAsync(options));
    }

    /// <summary>The tiny job's YAML: 2-layer model, byte tokenizer, demo identity data; seconds per run.</summary>
    public string JobYaml(string output = "job", string extra = "") => $"""
        model_name_or_path: {Path.Combine(DataRoot, "model")}
        init: random
        tokenizer: byte
        stage: sft
        finetuning_type: full
        dataset: identity
        dataset_dir: {Path.Combine(DemoRoot, "data")}
        template: default
        cutoff_len: 64
        max_samples: 16
        output_dir: {Path.Combine(OutputRoot, output)}
        logging_steps: 2
        save_steps: 4
        per_device_train_batch_size: 4
        learning_rate: 1.0e-2
        max_steps: 8
        seed: 1
        {extra}
        """;

    public GrpcChannel Channel(string? token = Token, GrpcChannelOptions? options = null, Uri? address = null)
    {
        options ??= new GrpcChannelOptions();
        if (token is not null)
        {
            // Plain-text loopback: pass the token as a header on every call (call credentials need TLS).
            var credentials = CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", "Bearer " + token);
                return Task.CompletedTask;
            });
            options.Credentials = ChannelCredentials.Create(Host.UsesTls ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure, credentials);
            options.UnsafeUseInsecureChannelCallCredentials = true;
        }
        var channel = GrpcChannel.ForAddress(address ?? Host.Address, options);
        _channels.Add(channel);
        return channel;
    }

    public JobService.JobServiceClient Jobs(string? token = Token) => new(Channel(token));

    public ClusterService.ClusterServiceClient Cluster(string? token = Token) => new(Channel(token));

    /// <summary>Submits the tiny job and returns it.</summary>
    public async Task<Job> SubmitAsync(string output = "job", string extra = "", params string[] overrides)
    {
        var request = new SubmitJobRequest { ConfigYaml = JobYaml(output, extra), ConfigName = "tiny.yaml", Name = output };
        request.Overrides.AddRange(overrides);
        return await Jobs().SubmitJobAsync(request);
    }

    /// <summary>All events of a job, following it to its end.</summary>
    public async Task<List<JobEvent>> FollowAsync(string jobId, long from = 0, TimeSpan? limit = null)
    {
        var events = new List<JobEvent>();
        using var call = Jobs().WatchJob(new WatchJobRequest { JobId = jobId, FromSequence = from, Follow = true },
            deadline: DateTime.UtcNow + (limit ?? TimeSpan.FromMinutes(2)));
        await foreach (var e in call.ResponseStream.ReadAllAsync()) events.Add(e);
        return events;
    }

    /// <summary>Polls until the job satisfies <paramref name="done"/>.</summary>
    public async Task<Job> WaitForAsync(string jobId, Func<Job, bool> done, TimeSpan? limit = null)
    {
        var until = DateTime.UtcNow + (limit ?? TimeSpan.FromMinutes(2));
        while (true)
        {
            var job = await Jobs().GetJobAsync(new GetJobRequest { JobId = jobId });
            if (done(job)) return job;
            if (DateTime.UtcNow > until) throw new TimeoutException($"job {jobId} is {job.State} at step {job.Step}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _channels) c.Dispose();
        await Server.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
