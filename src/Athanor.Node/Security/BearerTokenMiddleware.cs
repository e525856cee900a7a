using Athanor.Node.Services;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Athanor.Node.Security;

/// <summary>
/// Refuses every call without the node's bearer token (UNAUTHENTICATED), except the gRPC health service, which
/// load balancers and Kubernetes probes call without credentials. It runs before gRPC reads the request body, so
/// a caller without the token gets UNAUTHENTICATED whatever it sent (an empty or broken body included) and the
/// server never parses a stranger's bytes.
/// </summary>
public sealed class BearerTokenMiddleware(RequestDelegate next, BearerToken token)
{
    private const string HealthPrefix = "/grpc.health.v1.Health/";
    private const string Scheme = "Bearer ";

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.Value?.StartsWith(HealthPrefix, StringComparison.Ordinal) == true)
            return next(context);
        string header = context.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
            return TrailersOnlyResponse.Write(context, StatusCode.Unauthenticated, "no bearer token: send the header 'authorization: Bearer TOKEN' (cluster: --token, ATHANOR_TOKEN or token in ~/.athanor/config)");
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || !token.Matches(header[Scheme.Length..].Trim()))
            return TrailersOnlyResponse.Write(context, StatusCode.Unauthenticated, "the bearer token is not valid for this server");
        return next(context);
    }
}
