using Athanor.Serving.Hosting;

namespace Athanor.Cli.Commands;

/// <summary>`cluster serve-model`: the OpenAI-compatible endpoint (issue 26) for a model folder and its adapters.</summary>
public sealed class ServeModelCommand : ICommand
{
    public string Name => "serve-model";
    public string Summary => "serve a model folder (and LoRA adapters) over the OpenAI HTTP API";
    public string Usage => """
        usage: cluster serve-model --model DIR [--adapter NAME=DIR]... [--name ID] [--template NAME] [--tokenizer byte|DIR]
                                   [--host IP] [--port P] [--token-file FILE] [--max-batch N] [--max-queue N] [--threads N]

          --model DIR         a Hugging Face model folder (e.g. from cluster export)
          --adapter NAME=DIR  a PEFT LoRA adapter of that model, requested as "model": "NAME" (repeatable)
          --name ID           the base model's id in requests (default: the folder's name)
          --template NAME     chat template for /v1/chat/completions: "model" (default: the tokenizer's
                              chat_template) or a LLaMA-Factory name
          --tokenizer X       byte, or a folder with tokenizer.json (default: the model folder's)
          --host IP           address to listen on (default 127.0.0.1)
          --port P            port (default 8000; 0 = any free port, printed)
          --token-file FILE   clients must send "Authorization: Bearer TOKEN" with this file's token;
                              required unless --host is a loopback address
          --max-batch N       sequences decoded together (default 16)
          --max-queue N       sequences waiting beyond the batch before requests get 429 (default 64)
          --threads N         CPU threads for libtorch

        Serves GET /v1/models, POST /v1/chat/completions, POST /v1/completions (stream: true as server-sent
        events) and GET /metrics. Ctrl-C or SIGTERM stops it. See docs/serving.md.
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = new ArgumentReader("cluster serve-model", args,
            ["--model", "--adapter", "--name", "--template", "--tokenizer", "--host", "--port", "--token-file", "--max-batch", "--max-queue", "--threads"], []);
        reader.AtMostPositionals(0, "flags only (see cluster serve-model --help)");
        var adapters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in reader.All("--adapter"))
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0 || eq == pair.Length - 1)
                throw new UsageException($"cluster serve-model: --adapter '{pair}' is not NAME=DIR (e.g. --adapter support=out/adapter)");
            if (!adapters.TryAdd(pair[..eq], pair[(eq + 1)..]))
                throw new UsageException($"cluster serve-model: --adapter name '{pair[..eq]}' is given twice; each adapter needs its own name");
        }
        var options = new ServingOptions
        {
            ModelDir = reader.One("--model") ?? throw new UsageException("cluster serve-model: --model DIR is required"),
            ModelName = reader.One("--name"),
            Adapters = adapters,
            Template = reader.One("--template") ?? "model",
            Tokenizer = reader.One("--tokenizer"),
            Host = reader.One("--host") ?? "127.0.0.1",
            Port = Flags.Int(reader, "--port") ?? 8000,
            TokenFile = reader.One("--token-file"),
            MaxBatch = Flags.Int(reader, "--max-batch") ?? 16,
            MaxQueue = Flags.Int(reader, "--max-queue") ?? 64,
            Threads = Flags.Int(reader, "--threads"),
        }.Validated();
        return Serve(options, cancel).GetAwaiter().GetResult();
    }

    private static async Task<int> Serve(ServingOptions options, CancellationToken cancel)
    {
        ServingServer server;
        try
        {
            server = await ServingServer.StartAsync(options, cancel);
        }
        catch (IOException ex)
        {
            throw new UsageException($"cluster serve-model: cannot listen on {options.Host}:{options.Port}: {ex.Message}");
        }
        await using (server)
        {
            var address = server.Address.ToString().TrimEnd('/');
            Console.WriteLine($"cluster serve-model: listening on {address}/v1 (models: {string.Join(", ", server.Models.Select(m => m.Id))})");
            Console.WriteLine($"clients: OpenAI(base_url=\"{address}/v1\", api_key=<token>); Ctrl-C stops");
            try
            {
                await Task.Delay(Timeout.Infinite, cancel);
            }
            catch (OperationCanceledException)
            {
            }
            Console.WriteLine("cluster serve-model: stopping");
        }
        return ExitCodes.Ok;
    }
}
