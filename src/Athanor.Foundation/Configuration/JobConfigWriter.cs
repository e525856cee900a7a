using System.Text;

namespace Athanor.Configuration;

/// <summary>
/// Writes the effective configuration (every key, snake_case, LLaMA-Factory sections) so a run
/// folder records exactly what it ran with. <see cref="JobConfigLoader"/> reads it back to an equal config.
/// </summary>
public static class JobConfigWriter
{
    public static string ToYaml(JobConfig config)
    {
        var sb = new StringBuilder("# Effective configuration written by Athanor (all keys; paths resolved).\n");
        string? section = null;
        foreach (var key in ConfigKeys.All)
        {
            if (!key.IsWrittenFor(config))
                continue;
            if (key.Section != section)
            {
                section = key.Section;
                sb.Append('\n').Append("### ").Append(section).Append('\n');
            }
            sb.Append(key.Name).Append(": ").Append(key.Write!(config)).Append('\n');
        }
        return sb.ToString();
    }
}
