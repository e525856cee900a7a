using System.Text.Json;

namespace Athanor.Parallel.Agreement;

/// <summary>One thing every rank of a group must agree on: its name, the value compared, and a note that says why (shown, not compared).</summary>
public sealed record FingerprintEntry(string Key, string Value, string? Note = null);

/// <summary>
/// What one rank of a group computes before its first collective: everything that must be the same on every rank
/// (the job's settings, the build, the model config, the data cache key, fused-kernel availability), with the node
/// it runs on so a disagreement can name it.
/// </summary>
public sealed record RankFingerprint(int Rank, string Node, IReadOnlyList<FingerprintEntry> Entries)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>A peer's fingerprint; a peer that sent something else (another build's format) gets a one-line error.</summary>
    public static RankFingerprint FromUtf8(byte[] bytes, int rank)
    {
        try
        {
            return JsonSerializer.Deserialize<RankFingerprint>(bytes, Json)
                ?? throw new JsonException("empty");
        }
        catch (JsonException ex)
        {
            throw new GroupMismatchException($"rank {rank} sent a fingerprint this build cannot read ({ex.Message}): the ranks run different builds");
        }
    }
}

/// <summary>The ranks of a group disagree on something that must agree: the attempt fails at once with this one line.</summary>
public sealed class GroupMismatchException(string message) : Exception(message);
