using Athanor.Cli.Commands;

namespace Athanor.Cli.Client;

/// <summary>
/// Where the client commands connect and with which credentials. Each setting comes from the first
/// place that has it: the command's flags (--server, --token), the environment (ATHANOR_SERVER,
/// ATHANOR_TOKEN), then the config file (ATHANOR_CONFIG, default ~/.athanor/config).
/// </summary>
public sealed record ClientSettings(Uri Server, string? Token, string TokenSource, string? CaFile, string? ClientCertFile, string? ClientKeyFile)
{
    public const string DefaultServer = "http://127.0.0.1:50051";

    public static ClientSettings Resolve(string? serverFlag, string? tokenFlag)
    {
        var file = ClientConfigFile.Load(ClientConfigFile.DefaultPath);
        var server = serverFlag ?? Env("ATHANOR_SERVER") ?? file.Get("server") ?? DefaultServer;
        var (token, source) =
            tokenFlag is not null ? (tokenFlag, "--token")
            : Env("ATHANOR_TOKEN") is string env ? (env, "ATHANOR_TOKEN")
            : file.Get("token") is string inFile ? (inFile, file.Path)
            : file.Get("token_file") is string tokenFile ? (ReadTokenFile(file.ExpandHome(tokenFile)), tokenFile)
            : (null, "none");
        return new ClientSettings(ParseServer(server), token?.Trim(), source,
            file.Get("ca_file") is string ca ? file.ExpandHome(ca) : null,
            file.Get("client_cert") is string cert ? file.ExpandHome(cert) : null,
            file.Get("client_key") is string key ? file.ExpandHome(key) : null);
    }

    /// <summary>"host:port" means http://host:port; http:// is plain HTTP/2 and https:// is TLS.</summary>
    public static Uri ParseServer(string text)
    {
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0
            || uri.AbsolutePath != "/")
            throw new UsageException($"server '{text}' is not an address; accepted: host:port, http://host:port or https://host:port");
        return uri;
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static string ReadTokenFile(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"token_file '{path}' cannot be read: {ex.Message}");
        }
    }
}
