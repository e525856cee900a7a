using static TorchSharp.torch;

namespace Athanor.Parallel.Agreement;

/// <summary>
/// Ranks prove they agree before they train: each sends its fingerprint to all (two all-gathers over the group that
/// was just formed, sizes then bytes) and every rank runs the same pure comparison, so all of them fail the attempt
/// with the same line or none does. It goes over the group itself rather than through the coordinator: the
/// connection it needs exists already, nothing else changes, and a peer that never answers is the group's own timeout
/// or abort, never a hang.
/// </summary>
public static class GroupAgreement
{
    /// <summary>Exchanges fingerprints (a host-tensor collective: the TCP ring, before NCCL forms); throws <see cref="GroupMismatchException"/> on a disagreement.</summary>
    public static IReadOnlyList<RankFingerprint> Check(ICollective group, RankFingerprint mine)
    {
        var all = Exchange(group, mine);
        if (FingerprintDiff.Disagreement(all) is string line) throw new GroupMismatchException(line);
        return all;
    }

    public static IReadOnlyList<RankFingerprint> Exchange(ICollective group, RankFingerprint mine)
    {
        if (group.WorldSize == 1) return [mine];
        byte[] bytes = mine.ToUtf8();
        // Bytes travel as float32 values (exact for 0..255), lengths too (exact below 2^24): the collectives move float tensors.
        using var length = tensor(new float[] { bytes.Length });
        using var lengths = zeros(group.WorldSize);
        group.AllGather(length, lengths);
        int longest = (int)lengths.max().item<float>();
        using var padded = zeros(longest);
        using (var mineAsFloats = tensor(bytes.Select(b => (float)b).ToArray()))
        using (var head = padded.narrow(0, 0, bytes.Length))
            head.copy_(mineAsFloats);
        using var everyone = zeros((long)longest * group.WorldSize);
        group.AllGather(padded, everyone);
        var values = everyone.data<float>().ToArray();
        var sizes = lengths.data<float>().ToArray();
        return Enumerable.Range(0, group.WorldSize).Select(rank =>
        {
            var theirs = values.Skip(rank * longest).Take((int)sizes[rank]).Select(v => (byte)v).ToArray();
            return rank == group.Rank ? mine : RankFingerprint.FromUtf8(theirs, rank);
        }).ToList();
    }
}
