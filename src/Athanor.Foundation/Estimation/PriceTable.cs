using System.Text.Json;
using System.Text.Json.Nodes;

namespace Athanor.Estimation;

/// <summary>
/// Price per GPU-hour by GPU type: the illustrative defaults of <see cref="GpuType"/>, overridden key by key from a
/// JSON file such as {"h100": 2.5, "a10g": 0.4}.
/// </summary>
public sealed class PriceTable
{
    private readonly Dictionary<string, double> _prices;

    private PriceTable(Dictionary<string, double> prices) => _prices = prices;

    public static PriceTable Defaults() => new(GpuType.All.ToDictionary(g => g.Name, g => g.DefaultPricePerHour));

    public double PricePerHour(GpuType gpu) => _prices[gpu.Name];

    public static PriceTable Load(string path)
    {
        if (!File.Exists(path))
            throw new PlannerInputException($"--price-table {path}: file not found; accepted: a JSON object such as {{\"h100\": 2.5}}");
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException ex) { throw new PlannerInputException($"--price-table {path}: invalid JSON ({ex.Message}); accepted: a JSON object such as {{\"h100\": 2.5}}"); }
        if (root is not JsonObject prices)
            throw new PlannerInputException($"--price-table {path}: the top level is not a JSON object; accepted: a JSON object such as {{\"h100\": 2.5}}");
        var table = Defaults();
        foreach (var (key, value) in prices)
        {
            var gpu = GpuType.Find(key)
                ?? throw new PlannerInputException($"--price-table {path}: key '{key}' is not a GPU type; accepted: {string.Join(", ", GpuType.Names)}");
            double price = value is JsonValue v && v.TryGetValue<double>(out var d) ? d : double.NaN;
            if (!double.IsFinite(price) || price < 0)
                throw new PlannerInputException($"--price-table {path}: \"{key}\" is {value?.ToJsonString() ?? "null"}; accepted: a price per GPU-hour >= 0");
            table._prices[gpu.Name] = price;
        }
        return table;
    }
}
