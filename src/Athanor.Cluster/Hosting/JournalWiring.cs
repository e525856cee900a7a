using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;

namespace Athanor.Cluster.Hosting;

/// <summary>
/// The SQL journal and snapshot store (Akka.Persistence.Sql: SQLite or PostgreSQL), the default plugins under the id
/// "sql", tables created when missing. The plugin's defaults (table names, tag table) are the ones journals written
/// before this wiring used, so an existing data directory recovers its jobs (JournalCompatibilityTests).
/// </summary>
public static class JournalWiring
{
    public static AkkaConfigurationBuilder WithJournal(this AkkaConfigurationBuilder akka, ClusterNodeOptions o)
    {
        var (provider, connection) = o.ParseJournal();
        // Also points the read journal (ListJobs lists its persistence ids) at the same database.
        return akka.WithSqlPersistence(connection, provider, autoInitialize: true);
    }
}
