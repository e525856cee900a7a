namespace Athanor.Data.Formats;

/// <summary>A dataset could not be read: a bad dataset_info.json entry, a missing or unsupported file,
/// or (with on_bad_record: error) a bad record. The message names the file, key or line and what is accepted.</summary>
public sealed class DatasetException : Exception
{
    public DatasetException(string message) : base(message) { }

    public DatasetException(string message, Exception inner) : base(message, inner) { }
}
