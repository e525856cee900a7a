using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Athanor.Node.Security;

/// <summary>The token every call must carry as "authorization: Bearer TOKEN".</summary>
public sealed class BearerToken
{
    public const int MinimumLength = 16;

    private readonly byte[] _hash;

    public BearerToken(string token)
    {
        token = token.Trim();
        if (token.Length < MinimumLength)
            throw new ArgumentException($"the token has {token.Length} characters; at least {MinimumLength} are needed (e.g. `openssl rand -hex 32 > token`)");
        _hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
    }

    public static BearerToken FromFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"token file '{path}' cannot be read: {ex.Message}");
        }
        try
        {
            return new BearerToken(text);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"token file '{path}': {ex.Message}");
        }
    }

    /// <summary>Compares hashes in constant time, so neither the token's content nor its length leaks through timing.</summary>
    public bool Matches(string candidate) =>
        CryptographicOperations.FixedTimeEquals(_hash, SHA256.HashData(Encoding.UTF8.GetBytes(candidate)));
}

/// <summary>
/// Refuses every call without the node's bearer token (UNAUTHENTICATED), except the gRPC health service,
/// which load balancers and Kubernetes probes call without credentials.
/// </summary>
public sealed class BearerTokenInterceptor(BearerToken token) : Interceptor
{
    private const string HealthPrefix = "/grpc.health.v1.Health/";

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (context.Method.StartsWith(HealthPrefix, StringComparison.Ordinal)) return;
        var header = context.RequestHeaders.GetValue("authorization");
        if (string.IsNullOrEmpty(header))
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                "no bearer token: send the header 'authorization: Bearer TOKEN' (cluster: --token, ATHANOR_TOKEN or token in ~/.athanor/config)"));
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || !token.Matches(header[scheme.Length..].Trim()))
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the bearer token is not valid for this server"));
    }
}
