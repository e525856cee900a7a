using static TorchSharp.torch;

namespace Athanor.Checkpoints.Safetensors;

/// <summary>
/// A model's weights as transformers stores them: one .safetensors file, or a folder holding model.safetensors or
/// model.safetensors.index.json with its shards. Shards are opened (mapped) the first time one of their tensors
/// is asked for, and checked then against the index.
/// </summary>
public sealed class SafetensorsCheckpoint : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _tensorToFile; // tensor name -> full shard path
    private readonly Dictionary<string, SafetensorsFile?> _files; // full shard path -> opened file, once opened
    private readonly ILookup<string, string> _tensorsByFile; // full shard path -> tensors the index puts there
    private readonly string _location;
    private readonly string? _indexPath;
    private bool _disposed;

    private SafetensorsCheckpoint(string location, string? indexPath, Dictionary<string, string> tensorToFile,
        IReadOnlyDictionary<string, string> metadata, SafetensorsFile? single)
    {
        _location = location;
        _indexPath = indexPath;
        _tensorToFile = tensorToFile;
        Metadata = metadata;
        _files = tensorToFile.Values.Distinct(StringComparer.Ordinal).ToDictionary(f => f, _ => (SafetensorsFile?)null, StringComparer.Ordinal);
        if (single is not null) _files[single.Path] = single;
        _tensorsByFile = tensorToFile.ToLookup(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
        Names = tensorToFile.Keys.Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The folder or file this checkpoint was opened from (full path).</summary>
    public string Location => _location;

    /// <summary>Every tensor name, sorted ordinally.</summary>
    public IReadOnlyCollection<string> Names { get; }

    /// <summary>The single file's "__metadata__", or the index's "metadata" (non-string values as JSON text).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The distinct files holding the tensors (full paths).</summary>
    public IReadOnlyCollection<string> Files => _files.Keys;

    /// <summary>
    /// Opens a .safetensors file, or a folder with model.safetensors or model.safetensors.index.json.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing to open, or the index names a shard that is not there.</exception>
    /// <exception cref="SafetensorsFormatException">The single file or the index is malformed.</exception>
    public static SafetensorsCheckpoint Open(string folderOrFile, string baseName = SafetensorsFileNames.DefaultBaseName)
    {
        var fullPath = Path.GetFullPath(folderOrFile);
        if (File.Exists(fullPath))
            return FromSingleFile(fullPath, fullPath);
        if (!Directory.Exists(fullPath))
            throw new FileNotFoundException($"{fullPath}: no such safetensors file or checkpoint folder", fullPath);

        var single = Path.Combine(fullPath, SafetensorsFileNames.Single(baseName));
        if (File.Exists(single))
            return FromSingleFile(single, fullPath);
        var indexPath = Path.Combine(fullPath, SafetensorsFileNames.Index(baseName));
        if (File.Exists(indexPath))
            return FromIndex(fullPath, indexPath);
        throw new FileNotFoundException(
            $"{fullPath}: folder holds neither {SafetensorsFileNames.Single(baseName)} nor {SafetensorsFileNames.Index(baseName)}; " +
            "expected a Hugging Face safetensors checkpoint", single);
    }

    private static SafetensorsCheckpoint FromSingleFile(string path, string location)
    {
        var file = SafetensorsFile.Open(path);
        var map = file.Tensors.Keys.ToDictionary(k => k, _ => file.Path, StringComparer.Ordinal);
        return new SafetensorsCheckpoint(location, null, map, file.Metadata, file);
    }

    private static SafetensorsCheckpoint FromIndex(string folder, string indexPath)
    {
        var index = SafetensorsIndex.Read(indexPath);
        var folderPrefix = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal); // shard as written -> full path
        var map = new Dictionary<string, string>(index.WeightMap.Count, StringComparer.Ordinal);
        foreach (var (tensor, shard) in index.WeightMap)
        {
            if (!resolved.TryGetValue(shard, out var shardPath))
            {
                shardPath = Path.GetFullPath(Path.Combine(folder, shard));
                if (!shardPath.StartsWith(folderPrefix, StringComparison.Ordinal))
                    throw new SafetensorsFormatException(indexPath, $"weight_map entry for tensor '{tensor}' points outside the checkpoint folder: '{shard}'");
                if (!File.Exists(shardPath))
                    throw new FileNotFoundException(
                        $"{indexPath}: shard '{shard}' (holding tensor '{tensor}' and others) is missing from {folder}", shardPath);
                resolved[shard] = shardPath;
            }
            map[tensor] = shardPath;
        }
        return new SafetensorsCheckpoint(folder, indexPath, map, index.Metadata, single: null);
    }

    public bool Contains(string name) => _tensorToFile.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/> (opens its shard if needed).</summary>
    /// <exception cref="SafetensorsTensorNotFoundException">The checkpoint has no such tensor.</exception>
    public TensorInfo Info(string name) => FileOf(name).Info(name);

    /// <summary>Loads <paramref name="name"/> as a CPU tensor, converted to <paramref name="asType"/> when given. The caller owns it.</summary>
    public Tensor Load(string name, ScalarType? asType = null) => FileOf(name).Load(name, asType);

    /// <summary>The file that holds <paramref name="name"/>, opened and checked against the index on first use.</summary>
    public SafetensorsFile FileOf(string name)
    {
        if (!_tensorToFile.TryGetValue(name, out var path))
            throw new SafetensorsTensorNotFoundException(name, _location, _tensorToFile.Count);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_files[path] is { } open) return open;
            var file = SafetensorsFile.Open(path);
            try
            {
                CheckAgainstIndex(file);
            }
            catch
            {
                file.Dispose();
                throw;
            }
            _files[path] = file;
            return file;
        }
    }

    /// <summary>Every tensor the index assigns to this shard must be in it.</summary>
    private void CheckAgainstIndex(SafetensorsFile file)
    {
        foreach (var tensor in _tensorsByFile[file.Path])
        {
            if (!file.Contains(tensor))
                throw new SafetensorsFormatException(file.Path,
                    $"tensor '{tensor}' is not in this shard, but {_indexPath} says it is (the shard holds {file.Tensors.Count} tensors)");
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var file in _files.Values) file?.Dispose();
        }
    }
}
