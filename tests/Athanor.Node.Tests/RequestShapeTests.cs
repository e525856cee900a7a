using System.IO.Compression;
using Athanor.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Athanor.Node.Tests;

/// <summary>
/// Values of the wrong shape are errors naming the key and what it accepts, and a request body is looked at only
/// after the caller is authenticated: an empty body without a token used to be INTERNAL "Incomplete message.",
/// and bytes that were not a message INTERNAL or UNKNOWN.
/// </summary>
public class RequestShapeTests
{
    private static async Task<RpcException> Refused(TestNode node, SubmitJobRequest request) =>
        await Assert.ThrowsAsync<RpcException>(async () => await node.Jobs().SubmitJobAsync(request));

    [Fact]
    public async Task AQuotedNumberForAWholeNumberKeyIsATypeError()
    {
        await using var node = await TestNode.StartAsync();
        var yaml = node.JobYaml().Replace("max_steps: 8", "max_steps: \"30\"");
        var ex = await Refused(node, new SubmitJobRequest { ConfigYaml = yaml, ConfigName = "job.yaml" });
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("config_yaml.max_steps", ex.Trailers.GetValue("athanor-field-path"));
        Assert.Contains("'30' is quoted text, not a number; expected -1 (train for num_train_epochs) or a whole number >= 1, written without quotes", ex.Status.Detail);

        var fromOverride = await Refused(node, new SubmitJobRequest { ConfigYaml = node.JobYaml(), Overrides = { "save_steps='4'" } });
        Assert.Equal("overrides.save_steps", fromOverride.Trailers.GetValue("athanor-field-path"));
    }

    [Fact]
    public async Task AMappingWhereAPathBelongsIsRefusedFromEverySource()
    {
        await using var node = await TestNode.StartAsync();
        var yaml = node.JobYaml().Replace($"model_name_or_path: {Path.Combine(node.DataRoot, "model")}", "model_name_or_path: {a: 1}");
        var inYaml = await Refused(node, new SubmitJobRequest { ConfigYaml = yaml, ConfigName = "job.yaml" });
        Assert.Equal(StatusCode.InvalidArgument, inYaml.StatusCode);
        Assert.StartsWith("config_yaml.model_name_or_path: (job.yaml:1) a mapping or nested list is not accepted; expected a model folder", inYaml.Status.Detail);

        var inOverride = await Refused(node, new SubmitJobRequest { ConfigYaml = node.JobYaml(), Overrides = { "model_name_or_path={a: 1}" } });
        Assert.Equal(StatusCode.InvalidArgument, inOverride.StatusCode);
        Assert.Equal("overrides.model_name_or_path: a mapping or nested list is not accepted; expected a model folder (config.json, *.safetensors, tokenizer files)", inOverride.Status.Detail);

        var fields = new SubmitJobRequest { Fields = new JobFields() };
        foreach (var line in node.JobYaml().Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            fields.Fields.Values[line.Split(": ", 2)[0]] = line.Split(": ", 2)[1];
        fields.Fields.Values["model_name_or_path"] = "{a: 1}";
        var inFields = await Refused(node, fields);
        Assert.Equal("fields.model_name_or_path", inFields.Trailers.GetValue("athanor-field-path"));
    }

    [Theory]
    [InlineData("/athanor.v1.JobService/SubmitJob")]
    [InlineData("/athanor.v1.JobService/WatchJob")]
    [InlineData("/athanor.v1.ClusterService/GetClusterStatus")]
    public async Task AnEmptyBodyWithoutATokenIsUnauthenticated(string method)
    {
        await using var node = await TestNode.StartAsync();
        var (_, status, message) = await RawGrpc.CallAsync(node.Host.Address, method, [], token: null);
        Assert.Equal(StatusCode.Unauthenticated, status);
        Assert.StartsWith("no bearer token", message);
        (_, status, _) = await RawGrpc.CallAsync(node.Host.Address, method, RawGrpc.Frame([0xff, 0xff]), token: "wrong-token-0123456789abcdef");
        Assert.Equal(StatusCode.Unauthenticated, status);
    }

    [Theory]
    [InlineData(new byte[0], "the body holds no message")]
    [InlineData(new byte[] { 0, 0, 0 }, "cut short inside the 5-byte message header")]
    [InlineData(new byte[] { 0, 0, 0, 0, 9, 1 }, "the message is cut short: the header says 9 bytes, 1 arrived")]
    [InlineData(new byte[] { 1, 0, 0, 0, 1, 8 }, "the message is compressed but grpc-encoding is ''")]
    [InlineData(new byte[] { 7, 0, 0, 0, 0 }, "compressed flag is 7")]
    [InlineData(new byte[] { 0, 0, 0, 0, 2, 0xff, 0xff }, "the message is not a valid athanor.v1.SubmitJobRequest")]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "more than one message arrived")]
    public async Task ABodyThatIsNotOneMessageIsInvalidArgument(byte[] body, string expected)
    {
        await using var node = await TestNode.StartAsync();
        var (http, status, message) = await RawGrpc.CallAsync(node.Host.Address, "/athanor.v1.JobService/SubmitJob", body, TestNode.Token);
        Assert.Equal(200, http);
        Assert.Equal(StatusCode.InvalidArgument, status);
        Assert.Contains(expected, message);
        // A well-formed message on the same path still works.
        var good = new SubmitJobRequest { ConfigYaml = node.JobYaml(), Overrides = { "max_steps=1" } };
        (_, status, _) = await RawGrpc.CallAsync(node.Host.Address, "/athanor.v1.JobService/SubmitJob", RawGrpc.Frame(good.ToByteArray()), TestNode.Token);
        Assert.Equal(StatusCode.OK, status);
    }

    [Fact]
    public async Task AGzipMessageIsCheckedLikeAnyOther()
    {
        await using var node = await TestNode.StartAsync();
        static byte[] Gzip(byte[] data)
        {
            using var buffer = new MemoryStream();
            using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest)) gzip.Write(data);
            return buffer.ToArray();
        }
        static byte[] Compressed(byte[] message) { var frame = RawGrpc.Frame(message); frame[0] = 1; return frame; }
        var good = Gzip(new GetJobRequest { JobId = "job-unknown" }.ToByteArray());
        var (_, status, _) = await RawGrpc.CallAsync(node.Host.Address, "/athanor.v1.JobService/GetJob", Compressed(good), TestNode.Token, "gzip");
        Assert.Equal(StatusCode.NotFound, status);
        var (_, broken, message) = await RawGrpc.CallAsync(node.Host.Address, "/athanor.v1.JobService/GetJob", Compressed([1, 2, 3, 4]), TestNode.Token, "gzip");
        Assert.Equal(StatusCode.InvalidArgument, broken);
        Assert.Contains("cannot be decompressed", message);
    }
}
