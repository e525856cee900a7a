using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;
using Athanor.Protocol.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Athanor.Node.Services;

/// <summary>
/// Reads the one request message of a JobService or ClusterService call before gRPC does, so a body that is not
/// a well-formed message (empty, cut short, two messages, a compressed flag without an encoding, bytes that are
/// not the method's protobuf message) is INVALID_ARGUMENT naming the problem, not gRPC's INTERNAL or UNKNOWN.
/// A message above the receive limit is RESOURCE_EXHAUSTED without being read further. The body read here is
/// handed to gRPC unchanged. Runs after authentication, so only a caller with the token gets this far.
/// </summary>
public sealed class RequestBodyGate(RequestDelegate next, int maxMessageBytes)
{
    private static readonly Dictionary<string, MessageDescriptor> Requests =
        new[] { JobService.Descriptor, ClusterService.Descriptor }
            .SelectMany(s => s.Methods.Where(m => !m.IsClientStreaming).Select(m => ($"/{s.FullName}/{m.Name}", m.InputType)))
            .ToDictionary(x => x.Item1, x => x.InputType, StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.Value is not string path || !Requests.TryGetValue(path, out var descriptor))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        var body = await ReadBody(context).ConfigureAwait(false);
        if (body is null)
        {
            await TrailersOnlyResponse.Write(context, StatusCode.ResourceExhausted,
                $"the request is larger than the server's limit of {maxMessageBytes} bytes").ConfigureAwait(false);
            return;
        }
        if (Problem(body, context.Request.Headers["grpc-encoding"].ToString(), descriptor) is string problem)
        {
            await TrailersOnlyResponse.Write(context, StatusCode.InvalidArgument, $"request: {problem}").ConfigureAwait(false);
            return;
        }
        context.Features.Set<IRequestBodyPipeFeature>(new BufferedBody(body));
        await next(context).ConfigureAwait(false);
    }

    // The whole body, or null when it is longer than one message of the largest accepted size.
    private async Task<byte[]?> ReadBody(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        long limit = maxMessageBytes + 5L;
        while (true)
        {
            var result = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
            if (result.Buffer.Length > limit)
            {
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                return null;
            }
            if (result.IsCompleted)
            {
                var bytes = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return bytes;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private string? Problem(byte[] body, string encoding, MessageDescriptor descriptor)
    {
        if (body.Length == 0)
            return $"the body holds no message; a call sends one {descriptor.FullName}";
        if (body.Length < 5)
            return "the body is cut short inside the 5-byte message header";
        byte flag = body[0];
        long length = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1));
        if (flag > 1)
            return $"the message header's compressed flag is {flag}; accepted: 0 or 1";
        if (body.Length - 5 < length)
            return $"the message is cut short: the header says {length} bytes, {body.Length - 5} arrived";
        if (body.Length - 5 > length)
            return "more than one message arrived; a call sends one";
        var message = body.AsMemory(5);
        if (flag == 1)
        {
            if (encoding != "gzip")
                return $"the message is compressed but grpc-encoding is '{Shorten(encoding)}'; accepted: gzip";
            if (Gunzip(message) is not { } plain)
                return "the gzip-compressed message cannot be decompressed within the size limit";
            message = plain;
        }
        try
        {
            descriptor.Parser.ParseFrom(message.Span);
            return null;
        }
        catch (InvalidProtocolBufferException ex)
        {
            return $"the message is not a valid {descriptor.FullName}: {ex.Message}";
        }
    }

    private byte[]? Gunzip(ReadOnlyMemory<byte> compressed)
    {
        try
        {
            using var input = new GZipStream(new MemoryStream(compressed.ToArray()), CompressionMode.Decompress);
            var output = new byte[maxMessageBytes + 1];
            int length = 0, read;
            while (length < output.Length && (read = input.Read(output, length, output.Length - length)) > 0)
                length += read;
            return length > maxMessageBytes ? null : output[..length];
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private static string Shorten(string text) => Athanor.Configuration.InputText.Shorten(text);

    // The body as read, for gRPC's own reader.
    private sealed class BufferedBody(byte[] body) : IRequestBodyPipeFeature
    {
        public PipeReader Reader { get; } = PipeReader.Create(new ReadOnlySequence<byte>(body));
    }
}
