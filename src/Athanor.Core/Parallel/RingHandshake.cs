using System.Net.Sockets;
using System.Security.Cryptography;

namespace Athanor.Parallel;

/// <summary>
/// Who may join a training ring: the attempt's group id and a secret only the attempt's ranks hold (made by the
/// coordinator per attempt and handed to the ranks; never sent on the ring itself).
/// </summary>
public sealed record RingCredentials(Guid GroupId, byte[] Secret)
{
    public const int SecretBytes = 32;

    public static RingCredentials NewAttempt() => new(Guid.NewGuid(), RandomNumberGenerator.GetBytes(SecretBytes));
}

/// <summary>
/// Mutual challenge-response between ring neighbours, so nothing outside the attempt can join a ring (and feed it
/// gradients or a forged NCCL id) and no rank talks to an impostor: each side sends a fresh nonce and answers the
/// other's with HMAC-SHA256(secret, role | nonce | group | ranks). The secret never crosses the wire; a replayed
/// answer fails against a new nonce. The ring's payload is not encrypted: authenticity is what a CPU ring needs.
/// <code>
/// connector -> acceptor: group(16) from-rank(4) nonce_c(32)
/// acceptor  -> connector: nonce_a(32) HMAC("accept", nonce_c)
/// connector -> acceptor: HMAC("connect", nonce_a)
/// </code>
/// </summary>
public static class RingHandshake
{
    private const int NonceBytes = 32, ProofBytes = 32, HelloBytes = 16 + 4 + NonceBytes;

    /// <summary>The connecting side; returns null when the peer proved itself, else why not.</summary>
    public static string? Connect(Socket socket, RingCredentials credentials, int rank, int nextRank)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceBytes);
        var hello = new byte[HelloBytes];
        credentials.GroupId.TryWriteBytes(hello);
        BitConverter.TryWriteBytes(hello.AsSpan(16), rank);
        nonce.CopyTo(hello, 20);
        Send(socket, hello);
        var reply = new byte[NonceBytes + ProofBytes];
        Receive(socket, reply);
        var peerNonce = reply[..NonceBytes];
        if (!CryptographicOperations.FixedTimeEquals(reply.AsSpan(NonceBytes), Proof(credentials, "accept", nonce, rank, nextRank)))
            return "it did not prove the attempt's ring secret";
        Send(socket, Proof(credentials, "connect", peerNonce, rank, nextRank));
        return null;
    }

    /// <summary>The accepting side: true when the peer is rank <paramref name="expectedRank"/> of this attempt and proved the secret.</summary>
    public static bool Accept(Socket socket, RingCredentials credentials, int expectedRank, int rank)
    {
        var hello = new byte[HelloBytes];
        Receive(socket, hello);
        if (new Guid(hello.AsSpan(0, 16)) != credentials.GroupId || BitConverter.ToInt32(hello, 16) != expectedRank) return false;
        var peerNonce = hello[20..];
        var nonce = RandomNumberGenerator.GetBytes(NonceBytes);
        Send(socket, [.. nonce, .. Proof(credentials, "accept", peerNonce, expectedRank, rank)]);
        var answer = new byte[ProofBytes];
        Receive(socket, answer);
        return CryptographicOperations.FixedTimeEquals(answer, Proof(credentials, "connect", nonce, expectedRank, rank));
    }

    private static byte[] Proof(RingCredentials credentials, string role, byte[] nonce, int fromRank, int toRank)
    {
        var message = new byte[role.Length + NonceBytes + 16 + 8];
        System.Text.Encoding.ASCII.GetBytes(role, message);
        nonce.CopyTo(message, role.Length);
        credentials.GroupId.TryWriteBytes(message.AsSpan(role.Length + NonceBytes));
        BitConverter.TryWriteBytes(message.AsSpan(role.Length + NonceBytes + 16), fromRank);
        BitConverter.TryWriteBytes(message.AsSpan(role.Length + NonceBytes + 20), toRank);
        return HMACSHA256.HashData(credentials.Secret, message);
    }

    private static void Send(Socket socket, ReadOnlySpan<byte> data)
    {
        while (data.Length > 0) data = data[socket.Send(data)..];
    }

    private static void Receive(Socket socket, Span<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            int n = socket.Receive(buffer);
            if (n == 0) throw new IOException("connection closed");
            buffer = buffer[n..];
        }
    }
}
