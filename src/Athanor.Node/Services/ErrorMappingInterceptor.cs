using Athanor.Node.Backend;
using Athanor.Node.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Athanor.Node.Services;

/// <summary>
/// Turns the services' and backends' exceptions into gRPC statuses with their one-line messages, so no
/// handler needs its own try/catch and every backend reports errors the same way.
/// </summary>
public sealed class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> log) : Interceptor
{
    /// <summary>
    /// Trailer with the request field at fault, for INVALID_ARGUMENT and PERMISSION_DENIED: printable ASCII, other
    /// characters percent-encoded as UTF-8 (a key of Chinese characters), at most 256 characters.
    /// </summary>
    public const string FieldPathTrailer = "athanor-field-path";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (Map(ex, context) is RpcException mapped)
        {
            throw mapped;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (Map(ex, context) is RpcException mapped)
        {
            throw mapped;
        }
    }

    private RpcException? Map(Exception ex, ServerCallContext context)
    {
        switch (ex)
        {
            case RpcException:
                return null;
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                return null; // the call's deadline or the client's cancellation: gRPC reports it
            case RequestValidationException v:
                return WithField(StatusCode.InvalidArgument, v.Message, v.FieldPath);
            case PathNotAllowedException p:
                return WithField(StatusCode.PermissionDenied, p.Message, p.Key);
            case InvalidPageTokenException t:
                return WithField(StatusCode.InvalidArgument, "page_token: " + t.Message, "page_token");
            case JobNotFoundException:
                return Plain(StatusCode.NotFound, ex.Message);
            case JobStateConflictException:
                return Plain(StatusCode.FailedPrecondition, ex.Message);
            case EventsExpiredException:
                return Plain(StatusCode.OutOfRange, ex.Message);
            case OperationCanceledException:
                return new RpcException(new Status(StatusCode.Unavailable, "the server is shutting down; retry against another node or later"));
            default:
                log.LogError(ex, "{Method} failed", context.Method);
                return Plain(StatusCode.Internal, $"{context.Method} failed on the server: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private static RpcException Plain(StatusCode code, string message) => new(new Status(code, HeaderSafeText.Message(message)));

    private static RpcException WithField(StatusCode code, string message, string field) =>
        new(new Status(code, HeaderSafeText.Message(message)), new Metadata { { FieldPathTrailer, HeaderSafeText.Trailer(field) } });
}
