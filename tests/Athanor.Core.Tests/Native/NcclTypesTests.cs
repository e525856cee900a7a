using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Athanor.Native.Nccl;
using static TorchSharp.torch;

namespace Athanor.Tests.Native;

public class NcclTypesTests
{
    [Fact]
    public void Unique_id_is_exactly_128_bytes_as_in_nccl_h()
    {
        Assert.Equal(128, Unsafe.SizeOf<NcclUniqueId>());
        Assert.Equal(128, Marshal.SizeOf<NcclUniqueId>());
        Assert.Equal(NcclUniqueId.Size, new NcclUniqueId().ToBytes().Length);
    }

    [Fact]
    public void Unique_id_round_trips_through_bytes()
    {
        var bytes = Enumerable.Range(0, 128).Select(i => (byte)(i * 7 + 3)).ToArray();
        var id = NcclUniqueId.FromBytes(bytes);
        Assert.Equal(bytes, id.ToBytes());
        Assert.Equal(id, NcclUniqueId.FromBytes(id.ToBytes()));
        bytes[127] ^= 1;
        Assert.NotEqual(id, NcclUniqueId.FromBytes(bytes));
    }

    [Fact]
    public void Unique_id_of_the_wrong_length_is_refused_with_both_lengths()
    {
        var ex = Assert.Throws<ArgumentException>(() => NcclUniqueId.FromBytes(new byte[127]));
        Assert.Contains("128", ex.Message);
        Assert.Contains("127", ex.Message);
    }

    [Theory]
    [InlineData(ScalarType.Int8, 0)]
    [InlineData(ScalarType.Byte, 1)]
    [InlineData(ScalarType.Int32, 2)]
    [InlineData(ScalarType.Int64, 4)]
    [InlineData(ScalarType.Float16, 6)]
    [InlineData(ScalarType.Float32, 7)]
    [InlineData(ScalarType.Float64, 8)]
    [InlineData(ScalarType.BFloat16, 9)]
    public void Torch_dtypes_map_to_nccl_h_data_type_values(ScalarType dtype, int expected)
    {
        Assert.Equal(expected, (int)NcclDataTypes.From(dtype));
        Assert.True(NcclDataTypes.TryFrom(dtype, out var type));
        Assert.Equal(expected, (int)type);
    }

    [Theory]
    [InlineData(ScalarType.Bool)]
    [InlineData(ScalarType.Int16)]
    [InlineData(ScalarType.ComplexFloat32)]
    public void A_dtype_nccl_lacks_gets_an_error_naming_it_and_the_supported_ones(ScalarType dtype)
    {
        var ex = Assert.Throws<ArgumentException>(() => NcclDataTypes.From(dtype));
        Assert.Contains(dtype.ToString(), ex.Message);
        Assert.Contains("supported: Float32, BFloat16", ex.Message);
        Assert.False(NcclDataTypes.TryFrom(dtype, out _));
    }

    [Fact]
    public void Reduce_ops_and_results_have_nccl_h_values()
    {
        Assert.Equal(0, (int)NcclReduceOp.Sum);
        Assert.Equal(4, (int)NcclReduceOp.Avg);
        Assert.Equal(7, (int)NcclResult.InProgress);
        Assert.Equal(6, (int)NcclResult.RemoteError);
    }

    [Fact]
    public void Non_blocking_config_matches_the_ncclConfig_t_prefix_layout()
    {
        Assert.Equal(40, Unsafe.SizeOf<NcclConfig>());
        Assert.Equal(8, (int)Marshal.OffsetOf<NcclConfig>(nameof(NcclConfig.Magic)));
        Assert.Equal(12, (int)Marshal.OffsetOf<NcclConfig>(nameof(NcclConfig.Version)));
        Assert.Equal(16, (int)Marshal.OffsetOf<NcclConfig>(nameof(NcclConfig.Blocking)));
        Assert.Equal(32, (int)Marshal.OffsetOf<NcclConfig>(nameof(NcclConfig.NetName)));
        var config = NcclConfig.NonBlocking();
        Assert.Equal((nuint)40, config.Size);
        Assert.Equal(0xcafebeefu, config.Magic);
        Assert.Equal(21700u, config.Version);
        Assert.Equal(0, config.Blocking);
        Assert.Equal(int.MinValue, config.MaxCtas);
    }

    [Theory]
    [InlineData(22803, "2.28.3")]
    [InlineData(21000, "2.10.0")]
    [InlineData(2708, "2.7.8")]
    public void Nccl_version_codes_are_formatted_both_ways(int code, string expected) =>
        Assert.Equal(expected, Nccl.FormatVersion(code));

    [Fact]
    public void Nccl_exception_names_function_result_text_and_last_error()
    {
        var ex = new NcclException("ncclAllReduce", 6, "remote process exited or there was a network error", "NET/Socket : peer closed\n");
        Assert.Equal("ncclAllReduce failed: ncclRemoteError (6): remote process exited or there was a network error. NCCL says: NET/Socket : peer closed", ex.Message);
        Assert.Equal(NcclResult.RemoteError, ex.Result);
        Assert.Equal("ncclResult 42", NcclException.NameOf(42));
        Assert.Equal("ncclCommInitRank failed: ncclInvalidUsage (5): invalid usage", new NcclException("ncclCommInitRank", 5, "invalid usage", null).Message);
    }
}
