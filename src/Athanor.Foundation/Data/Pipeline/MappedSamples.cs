using System.Collections;
using System.IO.MemoryMappedFiles;

namespace Athanor.Data.Pipeline;

/// <summary>
/// Samples read from the cache's memory-mapped token and label streams. Each access copies one sample's ids and labels
/// out of the mapping (the trainer builds tensors from arrays), so the whole dataset never has to be in managed memory.
/// The mappings live as long as this object (closed by the finalizer of the map; there is no explicit lifetime in
/// the trainer's data types).
/// </summary>
public sealed class MappedSamples : IReadOnlyList<TokenizedSample>
{
    private readonly MemoryMappedViewAccessor? _tokens, _labels;
    private readonly long[] _offsets;
    private readonly int _first, _count;

    private MappedSamples(MemoryMappedViewAccessor? tokens, MemoryMappedViewAccessor? labels, long[] offsets, int first, int count)
    {
        _tokens = tokens;
        _labels = labels;
        _offsets = offsets;
        _first = first;
        _count = count;
    }

    public static MappedSamples Open(string tokensPath, string labelsPath, long[] offsets)
    {
        // A zero-length file cannot be mapped; with no tokens there is nothing to read anyway.
        var tokens = offsets[^1] == 0 ? null : Map(tokensPath);
        var labels = offsets[^1] == 0 ? null : Map(labelsPath);
        return new MappedSamples(tokens, labels, offsets, 0, offsets.Length - 1);
    }

    private static MemoryMappedViewAccessor Map(string path)
    {
        using var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        return file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
    }

    public MappedSamples Slice(int first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)first + count, _count);
        return new MappedSamples(_tokens, _labels, _offsets, _first + first, count);
    }

    public int Count => _count;

    /// <summary>A sample's token count, read from the offsets alone.</summary>
    public int LengthOf(int index)
    {
        if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index), index, $"there are {_count} samples");
        return (int)(_offsets[_first + index + 1] - _offsets[_first + index]);
    }

    public TokenizedSample this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index), index, $"there are {_count} samples");
            long start = _offsets[_first + index];
            int length = checked((int)(_offsets[_first + index + 1] - start));
            var ids = new int[length];
            var labels = new int[length];
            if (length > 0)
            {
                _tokens!.ReadArray(start * 4, ids, 0, length);
                _labels!.ReadArray(start * 4, labels, 0, length);
            }
            return new TokenizedSample(ids, labels);
        }
    }

    public IEnumerator<TokenizedSample> GetEnumerator()
    {
        for (int i = 0; i < _count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
