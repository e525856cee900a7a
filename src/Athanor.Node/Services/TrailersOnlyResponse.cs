using System.Globalization;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Athanor.Node.Services;

/// <summary>A gRPC answer without a message, written before the gRPC handler runs: HTTP 200, the status in the headers.</summary>
public static class TrailersOnlyResponse
{
    public static Task Write(HttpContext context, StatusCode code, string message)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)code).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(HeaderSafeText.Message(message));
        return Task.CompletedTask;
    }
}
