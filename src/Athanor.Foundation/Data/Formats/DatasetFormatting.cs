namespace Athanor.Data.Formats;

/// <summary>The record layouts LLaMA-Factory's dataset_info.json "formatting" key accepts (openai is not supported).</summary>
public enum DatasetFormatting
{
    Alpaca,
    Sharegpt,
}
