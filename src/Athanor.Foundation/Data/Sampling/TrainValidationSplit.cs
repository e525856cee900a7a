namespace Athanor.Data.Sampling;

/// <summary>LLaMA-Factory's val_size split: shuffle with the seed, the first n_val records become validation
/// and the rest train (both in shuffled order), like Hugging Face's train_test_split(test_size, seed).
/// A fraction gives n_val = ceil(fraction * n) as HF does. The shuffle is <see cref="SampleOrder"/>, not
/// NumPy's PCG64, so the same seed picks different records than LLaMA-Factory; it is deterministic per seed.</summary>
public static class TrainValidationSplit
{
    // Keeps the split's permutation independent of the epoch-0 training order for the same seed.
    private const long SplitSalt = 0x5EED_5B11_7000;

    /// <summary>How many validation records <paramref name="valSize"/> means for <paramref name="count"/> records.</summary>
    public static int ValidationCount(double valSize, int count)
    {
        if (double.IsNaN(valSize) || valSize < 0 || (valSize > 1 && valSize != Math.Floor(valSize)) || double.IsInfinity(valSize))
            throw new ArgumentOutOfRangeException(nameof(valSize), valSize,
                $"val_size {valSize} is not accepted; expected 0 (none), a fraction in (0, 1), or a whole count >= 1.");
        if (valSize == 0)
            return 0;
        var validation = valSize < 1 ? (long)Math.Ceiling(valSize * count) : (long)valSize;
        if (validation >= count)
            throw new ArgumentOutOfRangeException(nameof(valSize), valSize,
                $"val_size {valSize} takes {validation} of {count} records, leaving no training data; use a smaller val_size.");
        return (int)validation;
    }

    public static (IReadOnlyList<T> Train, IReadOnlyList<T> Validation) Split<T>(IReadOnlyList<T> items, double valSize, long seed)
    {
        var validationCount = ValidationCount(valSize, items.Count);
        if (validationCount == 0)
            return (items, []);
        var order = new SampleOrder(seed ^ SplitSalt, 0, items.Count);
        var validation = new T[validationCount];
        var train = new T[items.Count - validationCount];
        for (var p = 0; p < items.Count; p++)
        {
            var item = items[(int)order.IndexAt(p)];
            if (p < validationCount)
                validation[p] = item;
            else
                train[p - validationCount] = item;
        }
        return (train, validation);
    }
}
