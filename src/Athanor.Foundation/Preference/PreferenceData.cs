using Athanor.Configuration;
using Athanor.Data;
using Athanor.Data.Formats;
using Athanor.Data.Pipeline;
using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Preference;

/// <summary>The data step of a preference job (stage dpo or kto): its records loaded and encoded into <see cref="PreferenceRow"/> samples.</summary>
public static class PreferenceData
{
    public static (IEnumerable<TokenizedSample> Train, IEnumerable<TokenizedSample> Validation, DatasetLoadReport Report) Encode(
        JobConfig config, DatasetLoadOptions options, ITokenizer tokenizer, EncodingTally trainTally, EncodingTally validationTally)
    {
        var template = ChatTemplates.Get(config.Template, tokenizer);
        if (config.Stage == TrainingStage.Dpo)
        {
            var pairs = PreferenceDatasetLoader.LoadPairs(options);
            return (PreferenceEncoder.EncodePairs(pairs.Train, template, tokenizer, config.CutoffLen, options.OnBadRecord, trainTally),
                PreferenceEncoder.EncodePairs(pairs.Validation, template, tokenizer, config.CutoffLen, options.OnBadRecord, validationTally),
                pairs.Report);
        }
        var feedback = PreferenceDatasetLoader.LoadFeedback(options);
        return (PreferenceEncoder.EncodeFeedback(feedback.Train, template, tokenizer, config.CutoffLen, options.OnBadRecord, trainTally),
            PreferenceEncoder.EncodeFeedback(feedback.Validation, template, tokenizer, config.CutoffLen, options.OnBadRecord, validationTally),
            feedback.Report);
    }
}
