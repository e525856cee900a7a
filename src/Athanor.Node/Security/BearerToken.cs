using System.Security.Cryptography;
using System.Text;

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
