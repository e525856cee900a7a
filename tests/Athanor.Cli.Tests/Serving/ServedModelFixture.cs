using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Athanor.Cli.Tests.Serving;

/// <summary>
/// A tiny model trained and exported by the real executable, two LoRA adapters of it (one trained, one the same with a
/// different lora_alpha), and a `cluster serve-model` process serving all three on a free port with a token.
/// </summary>
public sealed class ServedModelFixture : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    private readonly TempFolder _temp = new();
    private readonly Process _server;
    private readonly StringBuilder _stdout, _stderr;

    public ServedModelFixture()
    {
        Ok("train", TinyJob.Write(Dir));
        Ok("export", "--checkpoint", P("out"), "--output", P("full"));
        Ok("train", TinyJob.Write(Dir), "--set", $"model_name_or_path={P("full")}", "--set", "init=pretrained", "--set", "finetuning_type=lora",
            "--set", "lora_rank=4", "--set", "max_steps=4", "--set", "learning_rate=5.0e-2", "--set", $"output_dir={P("lora-run")}");
        Ok("export", "--checkpoint", P("lora-run"), "--output", AdapterA);
        Directory.CreateDirectory(AdapterB);
        foreach (var file in Directory.GetFiles(AdapterA)) File.Copy(file, Path.Combine(AdapterB, Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(AdapterB, "adapter_config.json")))!.AsObject();
        config["lora_alpha"] = config["lora_alpha"]!.GetValue<double>() * 4; // the same deltas, four times as strong
        File.WriteAllText(Path.Combine(AdapterB, "adapter_config.json"), config.ToJsonString());
        File.WriteAllText(P("token"), Token);

        _server = ClusterProcess.Start(Dir, ["serve-model", "--model", ModelDir, "--name", "tiny", "--adapter", $"a={AdapterA}", "--adapter", $"b={AdapterB}",
            "--port", "0", "--token-file", P("token"), "--max-batch", "4", "--max-queue", "4", "--threads", "1"], out _stdout, out _stderr);
        var clock = Stopwatch.StartNew();
        while (BaseUrl is null)
        {
            if (_server.HasExited || clock.Elapsed > Limit)
                throw new InvalidOperationException($"serve-model did not start:\n{_stdout}\n{_stderr}");
            Thread.Sleep(100);
            lock (_stdout)
                if (Regex.Match(_stdout.ToString(), @"listening on (http://\S+)/v1") is { Success: true } m) BaseUrl = m.Groups[1].Value;
        }
        Http = new HttpClient { BaseAddress = new Uri(BaseUrl + "/") };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    public const string Token = "serve-model-test-token-0123456789";
    public string Dir => _temp.Path;
    public string ModelDir => P("full");
    public string AdapterA => P("adapter-a");
    public string AdapterB => P("adapter-b");
    public string? BaseUrl { get; private set; }
    public HttpClient Http { get; }

    public string P(params string[] parts) => Path.Combine([Dir, .. parts]);

    internal ClusterProcess.Result Ok(params string[] args)
    {
        var result = ClusterProcess.Run(Dir, Limit, args);
        Assert.True(result.ExitCode == 0, $"cluster {string.Join(' ', args)} exited {result.ExitCode}:\n{result.All}");
        return result;
    }

    /// <summary>What `cluster generate --json` writes for one prompt (greedy).</summary>
    public string Generate(string prompt, int maxNewTokens, string? template = null, string? adapter = null)
    {
        var args = new List<string> { "generate", "--model", ModelDir, "--prompt", prompt, "--max-new-tokens", maxNewTokens.ToString(), "--json", "--threads", "1" };
        if (template is not null) args.AddRange(["--template", template]);
        if (adapter is not null) args.AddRange(["--adapter", adapter]);
        return JsonNode.Parse(Ok([.. args]).Stdout.Trim())!["completion"]!.GetValue<string>();
    }

    public string ServerOutput { get { lock (_stdout) lock (_stderr) return _stdout + "\n" + _stderr; } }

    public void Dispose()
    {
        Http.Dispose();
        if (!_server.HasExited) _server.Kill(entireProcessTree: true);
        _server.WaitForExit();
        _server.Dispose();
        _temp.Dispose();
    }
}
