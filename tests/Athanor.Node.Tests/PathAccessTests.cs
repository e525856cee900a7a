using System.Diagnostics;
using Athanor.Protocol.V1;
using Grpc.Core;

namespace Athanor.Node.Tests;

/// <summary>
/// Every path key is resolved and checked against the roots before anything opens, reads or even looks at it:
/// a deepspeed file outside the roots is refused unread (it used to be parsed first, quoting its first byte; a
/// pipe blocked a server thread, /dev/zero grew the server by 2 GB), files inside are read only when regular and
/// small, and a path that cannot be a path (a NUL byte) is INVALID_ARGUMENT naming the key.
/// </summary>
public class PathAccessTests
{
    private static async Task<RpcException> Refused(TestNode node, params string[] overrides)
    {
        var request = new SubmitJobRequest { ConfigYaml = node.JobYaml() };
        request.Overrides.AddRange(overrides);
        // A deadline, so a server that blocks on a pipe fails the test instead of hanging it.
        return await Assert.ThrowsAsync<RpcException>(async () =>
            await node.Jobs().SubmitJobAsync(request, deadline: DateTime.UtcNow.AddSeconds(20)));
    }

    private static string MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path])!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("/dev/zero")]
    [InlineData("fifo outside the roots")]
    public async Task ADeepspeedFileOutsideTheRootsIsRefusedUnread(string path)
    {
        await using var node = await TestNode.StartAsync();
        if (path.StartsWith("fifo", StringComparison.Ordinal))
        {
            Directory.CreateDirectory(Path.Combine(node.Root, "outside"));
            path = MakeFifo(Path.Combine(node.Root, "outside", "ds.json"));
        }
        var ex = await Refused(node, $"deepspeed={path}");
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.StartsWith($"deepspeed: '{path}' is outside the allowed roots", ex.Status.Detail);
        Assert.DoesNotContain("JSON", ex.Status.Detail);
        Assert.Equal("deepspeed", ex.Trailers.GetValue("athanor-field-path"));
    }

    [Fact]
    public async Task InsideTheRootsOnlyASmallRegularDeepspeedFileIsRead()
    {
        await using var node = await TestNode.StartAsync();
        var fifo = MakeFifo(Path.Combine(node.DataRoot, "ds_pipe.json"));
        var pipe = await Refused(node, $"deepspeed={fifo}");
        Assert.Equal(StatusCode.InvalidArgument, pipe.StatusCode);
        Assert.Contains("is not a regular file", pipe.Status.Detail);

        File.CreateSymbolicLink(Path.Combine(node.DataRoot, "zero.json"), "/dev/zero");
        var device = await Refused(node, $"deepspeed={Path.Combine(node.DataRoot, "zero.json")}");
        Assert.Equal(StatusCode.PermissionDenied, device.StatusCode);
        Assert.Contains("(= /dev/zero)", device.Status.Detail);

        var big = Path.Combine(node.DataRoot, "ds_big.json");
        File.WriteAllText(big, "{\"zero_optimization\": {\"stage\": 2}, \"pad\": \"" + new string('x', 2 << 20) + "\"}");
        var large = await Refused(node, $"deepspeed={big}");
        Assert.Equal(StatusCode.InvalidArgument, large.StatusCode);
        Assert.Contains("is larger than 1 MiB", large.Status.Detail);

        File.WriteAllText(Path.Combine(node.DataRoot, "ds.json"), "{\"zero_optimization\": {\"stage\": 2}}");
        var job = await node.SubmitAsync("zero2", "", "deepspeed=ds.json");
        Assert.Equal(JobState.Pending, job.State);
        await node.WaitForAsync(job.Id, j => j.State is JobState.Succeeded or JobState.Failed);
    }

    [Fact]
    public async Task NoFileOutsideTheRootsIsOpenedForAnyKey()
    {
        await using var node = await TestNode.StartAsync();
        var outside = Path.Combine(node.Root, "outside");
        foreach (var folder in new[] { "model", "data", "tok" })
            Directory.CreateDirectory(Path.Combine(outside, folder));
        File.WriteAllText(Path.Combine(outside, "ds_z2.json"), "{\"zero_optimization\": {\"stage\": 2}}");
        File.Copy(Path.Combine(node.DataRoot, "model", "config.json"), Path.Combine(outside, "model", "config.json"));
        File.Copy(Path.Combine(TestNode.DemoRoot, "data", "dataset_info.json"), Path.Combine(outside, "data", "dataset_info.json"));
        File.WriteAllText(Path.Combine(outside, "prompts.jsonl"), "{\"prompt\": \"hi\"}\n");
        MakeFifo(Path.Combine(outside, "fifo"));
        File.CreateSymbolicLink(Path.Combine(node.DataRoot, "link-ds"), Path.Combine(outside, "ds_z2.json"));
        File.CreateSymbolicLink(Path.Combine(node.DataRoot, "link-dir"), outside);
        File.CreateSymbolicLink(Path.Combine(node.OutputRoot, "link-out"), outside);

        string[][] attempts =
        [
            [$"deepspeed={outside}/ds_z2.json"], ["deepspeed=../outside/ds_z2.json"], ["deepspeed=link-ds"],
            ["deepspeed=link-dir/ds_z2.json"], [$"deepspeed={outside}/fifo"], ["deepspeed=link-dir/fifo"],
            [$"deepspeed={node.DataRoot}/../outside/ds_z2.json"],
            [$"model_name_or_path={outside}/model"], ["model_name_or_path=link-dir/model"], ["model_name_or_path=../outside/model"],
            ["finetuning_type=lora", $"adapter_name_or_path={outside}/model"],
            [$"dataset_dir={outside}/data"], ["dataset_dir=link-dir/data"], [$"tokenizer={outside}/tok"],
            [$"eval_prompts={outside}/prompts.jsonl"], [$"eval_tasks=perplexity:{outside}/prompts.jsonl"],
            [$"resume_from_checkpoint={outside}/model"], ["resume_from_checkpoint=link-out/model"],
            [$"output_dir={outside}/run"], ["output_dir=link-out/run"], ["logging_dir=link-out/logs"], [$"tokenized_path={outside}/cache"],
        ];
        using var watch = new FileOpenWatch([outside, .. new[] { "model", "data", "tok" }.Select(f => Path.Combine(outside, f))]);
        foreach (var overrides in attempts)
        {
            var ex = await Refused(node, overrides);
            Assert.True(ex.StatusCode == StatusCode.PermissionDenied, $"{string.Join(' ', overrides)}: {ex.Status}");
        }
        Assert.Empty(watch.Events());
        Assert.Empty((await node.Jobs().ListJobsAsync(new ListJobsRequest())).Jobs);
        // The watch itself works: a read of a tripwire shows.
        _ = File.ReadAllText(Path.Combine(outside, "ds_z2.json"));
        Assert.Contains($"OPEN {outside}/ds_z2.json", watch.Events());
    }

    [Fact]
    public async Task ANulByteInAPathIsInvalidArgumentNamingTheKey()
    {
        await using var node = await TestNode.StartAsync();
        var fromOverride = await Refused(node, "model_name_or_path=model\0x");
        Assert.Equal(StatusCode.InvalidArgument, fromOverride.StatusCode);
        Assert.Equal("overrides.model_name_or_path", fromOverride.Trailers.GetValue("athanor-field-path"));
        Assert.Contains("U+0000 (NUL)", fromOverride.Status.Detail);

        var yaml = node.JobYaml().Replace($"output_dir: {Path.Combine(node.OutputRoot, "job")}", "output_dir: \"run\\0x\"");
        var fromYaml = await Assert.ThrowsAsync<RpcException>(async () =>
            await node.Jobs().SubmitJobAsync(new SubmitJobRequest { ConfigYaml = yaml, ConfigName = "nul.yaml" }));
        Assert.Equal(StatusCode.InvalidArgument, fromYaml.StatusCode);
        Assert.Equal("config_yaml.output_dir", fromYaml.Trailers.GetValue("athanor-field-path"));
        Assert.StartsWith("config_yaml.output_dir: (nul.yaml:", fromYaml.Status.Detail);

        var fields = new SubmitJobRequest { Fields = new JobFields() };
        foreach (var line in node.JobYaml().Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            fields.Fields.Values[line.Split(": ", 2)[0]] = line.Split(": ", 2)[1];
        fields.Fields.Values["dataset_dir"] = "data\0";
        var fromFields = await Assert.ThrowsAsync<RpcException>(async () => await node.Jobs().SubmitJobAsync(fields));
        Assert.Equal(StatusCode.InvalidArgument, fromFields.StatusCode);
        Assert.Equal("fields.dataset_dir", fromFields.Trailers.GetValue("athanor-field-path"));
    }
}
