using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Athanor.Cluster.Tests.NetNamespaces;

/// <summary>The journal fence's writes as the shared SQLite journal holds them: which coordinator wrote each, and when.</summary>
public static class FenceHistory
{
    public sealed record Write(long Sequence, string Coordinator, DateTime TimeUtc);

    public static IReadOnlyList<Write> Read(string journalFile)
    {
        using var db = new SqliteConnection($"Data Source={journalFile};Mode=ReadOnly");
        db.Open();
        using var cmd = db.CreateCommand();
        // The event's JSON sits in a blob column whose name is the journal plugin's business: take whichever holds it.
        cmd.CommandText = "SELECT * FROM journal WHERE persistence_id = 'athanor-journal-fence' ORDER BY sequence_number";
        using var reader = cmd.ExecuteReader();
        var writes = new List<Write>();
        while (reader.Read())
        {
            long sequence = reader.GetInt64(reader.GetOrdinal("sequence_number"));
            for (int i = 0; i < reader.FieldCount; i++)
            {
                if (reader.GetValue(i) is not byte[] blob) continue;
                var json = Encoding.UTF8.GetString(blob);
                var who = Regex.Match(json, "\"CoordinatorAddress\"\\s*:\\s*\"([^\"]+)\"");
                var when = Regex.Match(json, "\"TimeUtc\"\\s*:\\s*\"([^\"]+)\"");
                if (who.Success && when.Success)
                    writes.Add(new Write(sequence, who.Groups[1].Value, DateTime.Parse(when.Groups[1].Value, null, System.Globalization.DateTimeStyles.AdjustToUniversal)));
            }
        }
        return writes;
    }
}
