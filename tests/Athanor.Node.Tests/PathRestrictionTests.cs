using Athanor.Node.Security;
using Athanor.Protocol.V1;
using Grpc.Core;

namespace Athanor.Node.Tests;

public class PathRestrictionTests
{
    private static async Task<RpcException> Refused(TestNode node, params string[] overrides)
    {
        var request = new SubmitJobRequest { ConfigYaml = node.JobYaml() };
        request.Overrides.AddRange(overrides);
        return await Assert.ThrowsAsync<RpcException>(async () => await node.Jobs().SubmitJobAsync(request));
    }

    [Fact]
    public async Task AModelOutsideTheRootsIsPermissionDeniedNamingKeyPathAndRoots()
    {
        await using var node = await TestNode.StartAsync();
        var ex = await Refused(node, "model_name_or_path=/etc");
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.StartsWith("model_name_or_path: '/etc' is outside the allowed roots", ex.Status.Detail);
        Assert.Contains(node.DataRoot, ex.Status.Detail);
        Assert.Contains(node.OutputRoot, ex.Status.Detail);
        Assert.Empty((await node.Jobs().ListJobsAsync(new ListJobsRequest())).Jobs);
    }

    [Theory]
    [InlineData("dataset_dir", "/usr/share")]
    [InlineData("tokenizer", "/root")]
    [InlineData("adapter_name_or_path", "/tmp")]
    [InlineData("deepspeed", "/etc/ds_z3_config.json")]
    [InlineData("resume_from_checkpoint", "/var/tmp/checkpoint-5")]
    public async Task EveryReadPathIsChecked(string key, string path)
    {
        await using var node = await TestNode.StartAsync();
        var extra = key == "adapter_name_or_path" ? new[] { "finetuning_type=lora" } : [];
        var ex = await Refused(node, [.. extra, $"{key}={path}"]);
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.StartsWith($"{key}: '{path}'", ex.Status.Detail);
    }

    [Theory]
    [InlineData("output_dir", ".athanor-serve")]
    [InlineData("output_dir", ".athanor-serve/run")]
    [InlineData("resume_from_checkpoint", ".athanor-serve")]
    public async Task TheServersJournalFolderUnderTheOutputRootIsNoJobsPath(string key, string path)
    {
        await using var node = await TestNode.StartAsync();
        var ex = await Refused(node, $"{key}={path}");
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.StartsWith($"{key}: '{path}' is inside {Path.Combine(node.OutputRoot, ".athanor-serve")}, which the server keeps its job journal in", ex.Status.Detail);
        Assert.True(Directory.Exists(Path.Combine(node.OutputRoot, ".athanor-serve"))); // the journal's folder (its file appears at the first write)
    }

    [Fact]
    public async Task OutputOutsideTheOutputRootIsRefusedEvenUnderADataRoot()
    {
        await using var node = await TestNode.StartAsync();
        var ex = await Refused(node, $"output_dir={Path.Combine(node.DataRoot, "out")}");
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("outside the output root", ex.Status.Detail);
        Assert.Contains(node.OutputRoot, ex.Status.Detail);
    }

    [Theory]
    [InlineData("logging_dir")]
    [InlineData("tokenized_path")]
    public async Task EveryWrittenPathMustBeUnderTheOutputRoot(string key)
    {
        await using var node = await TestNode.StartAsync();
        var ex = await Refused(node, $"{key}={Path.Combine(node.DataRoot, "written-here")}");
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.StartsWith($"{key}: '", ex.Status.Detail);
        Assert.Contains("outside the output root", ex.Status.Detail);
    }

    [Fact]
    public async Task DotDotAndSymlinksCannotEscape()
    {
        await using var node = await TestNode.StartAsync();
        var escape = await Refused(node, "output_dir=../../../../../../tmp/escape");
        Assert.Equal(StatusCode.PermissionDenied, escape.StatusCode);
        Assert.Contains("(= /tmp/escape)", escape.Status.Detail);

        var outside = Path.Combine(node.Root, "outside");
        Directory.CreateDirectory(outside);
        File.Copy(Path.Combine(node.DataRoot, "model", "config.json"), Path.Combine(outside, "config.json"));
        File.CreateSymbolicLink(Path.Combine(node.DataRoot, "linked"), outside);
        var link = await Refused(node, $"model_name_or_path={Path.Combine(node.DataRoot, "linked")}");
        Assert.Equal(StatusCode.PermissionDenied, link.StatusCode);
        Assert.Contains($"(= {outside})", link.Status.Detail);

        // A link inside the data root whose '..' leads out: resolved as the OS would, not textually.
        Directory.CreateDirectory(Path.Combine(outside, "deep"));
        File.CreateSymbolicLink(Path.Combine(node.DataRoot, "deeplink"), Path.Combine(outside, "deep"));
        var dotdot = await Refused(node, $"model_name_or_path={Path.Combine(node.DataRoot, "deeplink", "..")}");
        Assert.Equal(StatusCode.PermissionDenied, dotdot.StatusCode);

        File.CreateSymbolicLink(Path.Combine(node.OutputRoot, "out-link"), outside);
        var write = await Refused(node, $"output_dir={Path.Combine(node.OutputRoot, "out-link", "run")}");
        Assert.Equal(StatusCode.PermissionDenied, write.StatusCode);
    }

    [Fact]
    public async Task RelativePathsResolveAgainstTheFirstDataRootAndTheOutputRoot()
    {
        await using var node = await TestNode.StartAsync();
        var job = await node.Jobs().SubmitJobAsync(new SubmitJobRequest
        {
            ConfigYaml = node.JobYaml(),
            Overrides = { "model_name_or_path=model", "output_dir=relative/run", "max_steps=2" },
        });
        Assert.Equal(Path.Combine(node.OutputRoot, "relative", "run"), job.OutputDir);
        var events = await node.FollowAsync(job.Id);
        Assert.Equal(JobState.Succeeded, events[^1].StateChanged.State);
        Assert.Contains(events, e => e.Log?.Text == $"model_name_or_path: 'model' resolved to {Path.Combine(node.DataRoot, "model")}");
        Assert.True(File.Exists(Path.Combine(node.OutputRoot, "relative", "run", "model.safetensors")));
    }

    [Fact]
    public void RealPathFollowsLinksBeforeApplyingDotDot()
    {
        var root = Path.Combine(Path.GetTempPath(), "athanor-realpath-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "a", "b"));
            Directory.CreateDirectory(Path.Combine(root, "c"));
            File.CreateSymbolicLink(Path.Combine(root, "c", "link"), Path.Combine(root, "a", "b"));
            File.CreateSymbolicLink(Path.Combine(root, "c", "rel"), "../a");
            Assert.Equal(Path.Combine(root, "a"), RealPath.Resolve(Path.Combine(root, "c", "link", "..")));
            Assert.Equal(Path.Combine(root, "a", "b", "new", "file"), RealPath.Resolve(Path.Combine(root, "c", "rel", "b", "new", "file")));
            Assert.Equal(Path.Combine(root, "x"), RealPath.Resolve(Path.Combine(root, "c", "..", ".", "x")));
            File.CreateSymbolicLink(Path.Combine(root, "loop"), Path.Combine(root, "loop"));
            Assert.Throws<IOException>(() => RealPath.Resolve(Path.Combine(root, "loop", "x")));
            Assert.True(RealPath.IsUnder("/data/x", "/data"));
            Assert.True(RealPath.IsUnder("/data", "/data"));
            Assert.False(RealPath.IsUnder("/database", "/data"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
