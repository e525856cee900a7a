using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Athanor.IO;

namespace Athanor.Data.Pipeline;

/// <summary>
/// Streams samples into a new cache entry: tokens.bin (all input ids, int32 little-endian, one stream), labels.bin
/// (the labels, same layout), offsets.bin (int64 start of each sample, plus the end) and meta.json. Everything is
/// written into a hidden temporary folder beside the entry, fsynced, and the folder is renamed into place last, so a
/// reader sees a whole entry or none. Disposing without <see cref="Commit"/> removes the temporary folder.
/// </summary>
public sealed class TokenCacheWriter : IDisposable
{
    private readonly string _root;
    private readonly string _key;
    private readonly string _temp;
    private readonly HashedStream _tokens, _labels, _offsets;
    private long _position;
    private int _count;
    private int? _trainCount;
    private bool _committed;

    public TokenCacheWriter(string root, string key)
    {
        _root = root;
        _key = key;
        _temp = Path.Combine(root, $".{key}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_temp);
        _tokens = new HashedStream(Path.Combine(_temp, TokenCache.TokensFile));
        _labels = new HashedStream(Path.Combine(_temp, TokenCache.LabelsFile));
        _offsets = new HashedStream(Path.Combine(_temp, TokenCache.OffsetsFile));
        _offsets.WriteInt64(0);
    }

    public int Count => _count;

    public void Add(TokenizedSample sample)
    {
        if (sample.Labels.Length != sample.InputIds.Length)
            throw new ArgumentException($"sample {_count}: {sample.InputIds.Length} ids but {sample.Labels.Length} labels");
        _tokens.Write(MemoryMarshal.AsBytes(sample.InputIds.AsSpan()));
        _labels.Write(MemoryMarshal.AsBytes(sample.Labels.AsSpan()));
        _position += sample.Length;
        _offsets.WriteInt64(_position);
        _count++;
    }

    /// <summary>Samples added so far are the training set; the rest are validation.</summary>
    public void EndTrain() => _trainCount = _count;

    /// <summary>Finishes the files, writes meta.json and renames the entry into place. Returns the entry folder.</summary>
    public string Commit(Func<TokenCacheMeta, TokenCacheMeta> describe)
    {
        int train = _trainCount ?? _count;
        var files = new Dictionary<string, CachedFile>
        {
            [TokenCache.TokensFile] = _tokens.Finish(),
            [TokenCache.LabelsFile] = _labels.Finish(),
            [TokenCache.OffsetsFile] = _offsets.Finish(),
        };
        var meta = describe(new TokenCacheMeta
        {
            Key = _key, TrainSamples = train, ValidationSamples = _count - train, Tokens = _position, Files = files,
            DatasetReport = [], TrainEncoding = new(0, 0, 0, 0, 0), ValidationEncoding = new(0, 0, 0, 0, 0),
        });
        DurableFile.WriteAllBytes(Path.Combine(_temp, TokenCache.MetaFile), JsonSerializer.SerializeToUtf8Bytes(meta, TokenCache.Json));
        DurableFile.SyncFolder(_temp);
        var final = Path.Combine(_root, _key);
        try
        {
            Directory.Move(_temp, final);
        }
        catch (IOException) when (Directory.Exists(final))
        {
            // Another run finished the same entry first; theirs is equivalent.
            Directory.Delete(_temp, recursive: true);
        }
        DurableFile.SyncFolder(_root);
        _committed = true;
        return final;
    }

    public void Dispose()
    {
        _tokens.Dispose();
        _labels.Dispose();
        _offsets.Dispose();
        if (!_committed)
            try { Directory.Delete(_temp, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A buffered file whose SHA-256 is computed as it is written, so the checksum costs no second pass.</summary>
    private sealed class HashedStream(string path) : IDisposable
    {
        private readonly FileStream _file = new(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _bytes;

        public void Write(ReadOnlySpan<byte> bytes)
        {
            _file.Write(bytes);
            _hash.AppendData(bytes);
            _bytes += bytes.Length;
        }

        public void WriteInt64(long value)
        {
            Span<byte> b = stackalloc byte[8];
            BitConverter.TryWriteBytes(b, value);
            Write(b);
        }

        public CachedFile Finish()
        {
            _file.Flush(flushToDisk: true);
            _file.Dispose();
            return new CachedFile(_bytes, Convert.ToHexStringLower(_hash.GetHashAndReset()));
        }

        public void Dispose()
        {
            _file.Dispose();
            _hash.Dispose();
        }
    }
}
