namespace Athanor.Native.Nccl;

/// <summary>
/// ncclUniqueId: 128 opaque bytes made by rank 0 (ncclGetUniqueId) and shipped to every rank, which passes it
/// BY VALUE to ncclCommInitRank. A struct with a fixed buffer so it has exactly the C layout.
/// </summary>
public unsafe struct NcclUniqueId : IEquatable<NcclUniqueId>
{
    /// <summary>NCCL_UNIQUE_ID_BYTES in nccl.h.</summary>
    public const int Size = 128;

    private fixed byte _internal[Size];

    /// <summary>A fresh id from ncclGetUniqueId (rank 0 calls this once per communicator).</summary>
    public static NcclUniqueId Create()
    {
        NcclUniqueId id;
        Nccl.Check(NcclApi.GetUniqueId(&id), "ncclGetUniqueId");
        return id;
    }

    public readonly byte[] ToBytes()
    {
        var bytes = new byte[Size];
        fixed (byte* source = _internal)
            new ReadOnlySpan<byte>(source, Size).CopyTo(bytes);
        return bytes;
    }

    public static NcclUniqueId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
            throw new ArgumentException($"an NCCL unique id is exactly {Size} bytes; got {bytes.Length}", nameof(bytes));
        NcclUniqueId id;
        bytes.CopyTo(new Span<byte>(id._internal, Size));
        return id;
    }

    public static NcclUniqueId FromBytes(byte[] bytes) => FromBytes((ReadOnlySpan<byte>)(bytes ?? throw new ArgumentNullException(nameof(bytes))));

    public readonly bool Equals(NcclUniqueId other)
    {
        fixed (byte* mine = _internal)
            return new ReadOnlySpan<byte>(mine, Size).SequenceEqual(new ReadOnlySpan<byte>(other._internal, Size));
    }

    public override readonly bool Equals(object? obj) => obj is NcclUniqueId other && Equals(other);

    public override readonly int GetHashCode()
    {
        var hash = new HashCode();
        fixed (byte* mine = _internal)
            hash.AddBytes(new ReadOnlySpan<byte>(mine, Size));
        return hash.ToHashCode();
    }

    public static bool operator ==(NcclUniqueId left, NcclUniqueId right) => left.Equals(right);
    public static bool operator !=(NcclUniqueId left, NcclUniqueId right) => !left.Equals(right);
}
