using static TorchSharp.torch;

namespace Athanor.Checkpoints.Safetensors;

/// <summary>Writes tensors as safetensors: one file, or a transformers-style sharded checkpoint with an index.</summary>
public static class SafetensorsWriter
{
    /// <summary>What transformers puts in every file's "__metadata__".</summary>
    public static IReadOnlyDictionary<string, string> DefaultMetadata { get; } =
        new Dictionary<string, string> { ["format"] = "pt" };

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> atomically (temp file in the same folder, fsync,
    /// rename). Tensors may be non-contiguous or off the CPU; they are copied as needed and left as they were,
    /// unless <paramref name="disposeInputs"/> asks for each to be disposed once written.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, bool disposeInputs = false)
    {
        var fullPath = Path.GetFullPath(path);
        var entries = new List<KeyValuePair<string, Tensor>>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in tensors)
        {
            CheckEntry(fullPath, entry, names);
            entries.Add(entry);
        }
        AtomicFile.Write(fullPath, temp => SafetensorsFileWriter.WriteNew(temp, entries, metadata ?? DefaultMetadata, disposeInputs));
    }

    /// <summary>
    /// Writes a checkpoint folder the way transformers' save_pretrained does: shards of at most
    /// <paramref name="maxShardBytes"/> tensor bytes (a larger tensor gets a shard of its own) named
    /// "model-00001-of-0000N.safetensors" plus "model.safetensors.index.json"; or just "model.safetensors" when one
    /// shard holds everything. Tensors are consumed lazily and only one shard's worth is held at a time. Each shard
    /// goes to a temporary name first (the count is unknown until the end), then all are renamed. Shards and an
    /// index or single file left over from an earlier save under the same base name are removed.
    /// </summary>
    /// <returns>The paths written: the files in order, then the index when there is one.</returns>
    public static IReadOnlyList<string> WriteSharded(string folder, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        long maxShardBytes, string baseName = SafetensorsFileNames.DefaultBaseName,
        IReadOnlyDictionary<string, string>? metadata = null, bool disposeInputs = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        ArgumentException.ThrowIfNullOrWhiteSpace(baseName);
        var fullFolder = Path.GetFullPath(folder);
        Directory.CreateDirectory(fullFolder);
        metadata ??= DefaultMetadata;

        var temps = new List<(string TempPath, List<string> Names)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        long totalSize = 0;
        try
        {
            var current = new List<KeyValuePair<string, Tensor>>();
            long currentBytes = 0;
            foreach (var entry in tensors)
            {
                CheckEntry(Path.Combine(fullFolder, SafetensorsFileNames.Single(baseName)), entry, names);
                var bytes = SafetensorsFileWriter.ByteLength(entry.Value);
                totalSize += bytes;
                if (bytes > maxShardBytes)
                {
                    // As transformers does: an oversized tensor is a shard on its own; the open shard keeps filling.
                    temps.Add(WriteTempShard(fullFolder, baseName, temps.Count, [entry], metadata, disposeInputs));
                    continue;
                }
                if (current.Count > 0 && currentBytes + bytes > maxShardBytes)
                {
                    temps.Add(WriteTempShard(fullFolder, baseName, temps.Count, current, metadata, disposeInputs));
                    current = [];
                    currentBytes = 0;
                }
                current.Add(entry);
                currentBytes += bytes;
            }
            if (current.Count > 0 || temps.Count == 0)
                temps.Add(WriteTempShard(fullFolder, baseName, temps.Count, current, metadata, disposeInputs));

            return Publish(fullFolder, baseName, temps, totalSize);
        }
        catch
        {
            foreach (var (temp, _) in temps) AtomicFile.TryDelete(temp);
            throw;
        }
    }

    private static (string, List<string>) WriteTempShard(string folder, string baseName, int ordinal,
        List<KeyValuePair<string, Tensor>> entries, IReadOnlyDictionary<string, string> metadata, bool disposeInputs)
    {
        var temp = AtomicFile.TempPathFor(Path.Combine(folder, $"{baseName}-shard{ordinal + 1}.safetensors"));
        var shardNames = entries.ConvertAll(e => e.Key);
        try
        {
            SafetensorsFileWriter.WriteNew(temp, entries, metadata, disposeInputs);
        }
        catch
        {
            AtomicFile.TryDelete(temp);
            throw;
        }
        return (temp, shardNames);
    }

    /// <summary>Renames the temporary shards to their final names, writes the index, removes stale files.</summary>
    private static List<string> Publish(string folder, string baseName, List<(string TempPath, List<string> Names)> temps, long totalSize)
    {
        var written = new List<string>();
        var indexPath = Path.Combine(folder, SafetensorsFileNames.Index(baseName));
        var singlePath = Path.Combine(folder, SafetensorsFileNames.Single(baseName));
        if (temps.Count == 1)
        {
            File.Move(temps[0].TempPath, singlePath, overwrite: true);
            written.Add(singlePath);
            AtomicFile.TryDelete(indexPath);
        }
        else
        {
            var weightMap = new List<KeyValuePair<string, string>>();
            for (var i = 0; i < temps.Count; i++)
            {
                var fileName = SafetensorsFileNames.Shard(i + 1, temps.Count, baseName);
                var finalPath = Path.Combine(folder, fileName);
                File.Move(temps[i].TempPath, finalPath, overwrite: true);
                written.Add(finalPath);
                foreach (var name in temps[i].Names) weightMap.Add(new(name, fileName));
            }
            SafetensorsIndex.Write(indexPath, totalSize, weightMap);
            written.Add(indexPath);
            AtomicFile.TryDelete(singlePath);
        }

        var keep = new HashSet<string>(written.Select(Path.GetFileName)!, StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(folder, baseName + "-*.safetensors"))
        {
            var fileName = Path.GetFileName(path);
            if (SafetensorsFileNames.IsShard(fileName, baseName) && !keep.Contains(fileName))
                AtomicFile.TryDelete(path);
        }
        return written;
    }

    private static void CheckEntry(string path, KeyValuePair<string, Tensor> entry, HashSet<string> names)
    {
        if (string.IsNullOrEmpty(entry.Key))
            throw new ArgumentException($"{path}: a tensor has an empty name; every tensor needs a non-empty name");
        if (entry.Key == SafetensorsHeader.MetadataKey)
            throw new ArgumentException($"{path}: '{SafetensorsHeader.MetadataKey}' is reserved for metadata and cannot name a tensor");
        ArgumentNullException.ThrowIfNull(entry.Value, $"tensor '{entry.Key}'");
        if (!names.Add(entry.Key))
            throw new ArgumentException($"{path}: tensor '{entry.Key}' is given twice; names must be unique");
        if (!SafetensorsDtype.TryGetName(entry.Value.dtype, out _))
            throw new NotSupportedException(
                $"{path}: tensor '{entry.Key}' has dtype {entry.Value.dtype}, which safetensors cannot store here; supported: {SafetensorsDtype.SupportedList}");
    }
}
