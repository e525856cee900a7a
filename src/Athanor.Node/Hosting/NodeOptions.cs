namespace Athanor.Node.Hosting;

/// <summary>How a node's gRPC server listens, authenticates and which files its jobs may touch.</summary>
public sealed record NodeOptions
{
    /// <summary>The gRPC port; 0 picks a free one (see <see cref="NodeHost.Address"/>).</summary>
    public int GrpcPort { get; init; } = 50051;

    /// <summary>The IP address to listen on: 127.0.0.1 (this machine only), 0.0.0.0 or :: (every interface).</summary>
    public string ListenAddress { get; init; } = "127.0.0.1";

    /// <summary>A file holding the bearer token clients must send (used when <see cref="Token"/> is null).</summary>
    public string? TokenFile { get; init; }

    /// <summary>The bearer token itself, for hosts that embed the node (at least 16 characters).</summary>
    public string? Token { get; init; }

    /// <summary>Folders jobs may read models, tokenizers, datasets, adapters and DeepSpeed files from; the first is the base of relative paths.</summary>
    public IReadOnlyList<string> DataRoots { get; init; } = [];

    /// <summary>The folder under which jobs write their output_dir (jobs may read it too: adapters, checkpoints).</summary>
    public string OutputRoot { get; init; } = "";

    /// <summary>Folders under <see cref="OutputRoot"/> (relative names) the server keeps for itself (`cluster serve`'s journal): no job path may point into them.</summary>
    public IReadOnlyList<string> ReservedOutputFolders { get; init; } = [];

    /// <summary>PEM certificate chain of the server; with <see cref="TlsKeyFile"/> it turns TLS on.</summary>
    public string? TlsCertificateFile { get; init; }

    /// <summary>PEM private key of <see cref="TlsCertificateFile"/>.</summary>
    public string? TlsKeyFile { get; init; }

    /// <summary>PEM CA certificate(s); when set, clients must present a certificate issued by one of them (mutual TLS).</summary>
    public string? TlsClientCaFile { get; init; }

    /// <summary>The largest request message accepted (RESOURCE_EXHAUSTED above it).</summary>
    public int MaxReceiveMessageBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>The largest response message sent.</summary>
    public int MaxSendMessageBytes { get; init; } = 16 * 1024 * 1024;
}
