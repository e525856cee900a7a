using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Grpc.Core;

namespace Athanor.Node.Tests;

/// <summary>
/// gRPC calls written by hand over HTTP/2 (h2c), for what a generated client never sends: an empty body, bytes
/// that are not a protobuf message, a broken frame. The status comes from the trailers (or the headers of a
/// trailers-only answer); an HTTP status other than 200 is reported as it is.
/// </summary>
internal static class RawGrpc
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>One length-prefixed, uncompressed gRPC message.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame.AsSpan(5));
        return frame;
    }

    /// <param name="method">e.g. /athanor.v1.JobService/SubmitJob</param>
    /// <param name="body">The request body as sent (use <see cref="Frame"/> for a well-framed message).</param>
    public static async Task<(int HttpStatus, StatusCode? Status, string Message)> CallAsync(Uri server, string method, byte[] body, string? token, string? encoding = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, method)) 
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (token is not null) request.Headers.TryAddWithoutValidation("authorization", "Bearer " + token);
        if (encoding is not null) request.Headers.TryAddWithoutValidation("grpc-encoding", encoding);
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        string? Header(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.First()
            : response.Headers.TryGetValues(name, out var h) ? h.First() : null;
        var status = Header("grpc-status") is string s ? (StatusCode?)int.Parse(s) : null;
        var text = Uri.UnescapeDataString(Header("grpc-message") ?? "");
        if (status is null) text += $" (HTTP/{response.Version} {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()})";
        return ((int)response.StatusCode, status, text);
    }
}
