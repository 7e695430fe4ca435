using System.Globalization;

namespace GrantLedger.Bench;

/// <summary>
/// CPU used so far, from /proc: by one process, by a PostgreSQL cluster (the postmaster and every process it started,
/// those that have exited included), and by the whole machine. Differences between two readings say what a
/// measurement cost in CPU, which moves far less between runs than a rate does (docs/performance.md, section 8).
/// </summary>
public static class CpuMeter
{
    /// <summary>The machine's busy CPU and a cluster's, read together.</summary>
    public sealed record Reading(TimeSpan Machine, TimeSpan Cluster)
    {
        public static Reading operator -(Reading after, Reading before) => new(after.Machine - before.Machine, after.Cluster - before.Cluster);

        /// <summary>Milliseconds per operation: the machine's, then PostgreSQL's.</summary>
        public (double Machine, double Cluster) PerOperation(long operations) =>
            operations == 0 ? (double.NaN, double.NaN) : (Machine.TotalMilliseconds / operations, Cluster.TotalMilliseconds / operations);
    }

    public static Reading Read(string dataDirectory) => new(Machine(), Cluster(dataDirectory));

    /// <summary>Runs <paramref name="measured"/> and says what the machine and the cluster spent on it.</summary>
    public static async Task<(T Result, Reading Cpu)> MeasureAsync<T>(string dataDirectory, Func<Task<T>> measured)
    {
        var before = Read(dataDirectory);
        var result = await measured();
        return (result, Read(dataDirectory) - before);
    }

    // USER_HZ: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK))
    private const double ClockTicksPerSecond = 100;

    /// <summary>A process's name and the CPU its threads used (user + system), from /proc/PID/stat.</summary>
    public static (string Name, TimeSpan Cpu) Process(string stat)
    {
        var (name, fields) = Fields(stat);
        return (name, Seconds(Field(fields, 14) + Field(fields, 15)));
    }

    /// <summary>
    /// CPU used by the cluster whose data directory is <paramref name="dataDirectory"/>: the postmaster, its live
    /// children (backends, autovacuum workers, WAL writer, checkpointer, …) and the children it has reaped (cutime and
    /// cstime, so an autovacuum worker that came and went between two readings is counted).
    /// </summary>
    /// <remarks>
    /// A child reaped while its siblings are read would be missed (read before it was reaped, the postmaster's cutime
    /// lacks it; looked for after, it is gone) or, read the other way round, counted twice: at the end of a pgbench run
    /// its clients' backends all exit at once. So the postmaster's reaped time is read before and after the children,
    /// and the reading taken again until nothing was reaped in between (an exited child not yet reaped is still read).
    /// </remarks>
    public static TimeSpan Cluster(string dataDirectory)
    {
        var postmaster = File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First().Trim();
        for (var attempt = 1; ; attempt++)
        {
            var (own, reaped) = Postmaster(postmaster);
            var children = 0L;
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!char.IsDigit(Path.GetFileName(dir)[0])) continue;
                try
                {
                    var (_, fields) = Fields(File.ReadAllText(Path.Combine(dir, "stat")));
                    if (fields[1] == postmaster) children += Field(fields, 14) + Field(fields, 15);
                }
                catch (IOException) { } // gone meanwhile: reaped (then the postmaster's reaped time moved) or not the cluster's
            }
            var (ownAfter, reapedAfter) = Postmaster(postmaster);
            if (reapedAfter == reaped || attempt == 20) return Seconds(ownAfter + reapedAfter + children);
        }
    }

    /// <summary>The postmaster's own CPU (utime + stime) and its reaped children's (cutime + cstime), in clock ticks.</summary>
    private static (long Own, long Reaped) Postmaster(string pid)
    {
        var (_, fields) = Fields(File.ReadAllText($"/proc/{pid}/stat"));
        return (Field(fields, 14) + Field(fields, 15), Field(fields, 16) + Field(fields, 17));
    }

    /// <summary>CPU every core of the machine spent busy (not idle, not waiting for I/O), from /proc/stat.</summary>
    public static TimeSpan Machine()
    {
        // cpu  user nice system idle iowait irq softirq steal …
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long At(int i) => long.Parse(cpu[i], CultureInfo.InvariantCulture);
        return Seconds(At(1) + At(2) + At(3) + At(6) + At(7));
    }

    // /proc/PID/stat: "pid (name) state ppid …"; the name may hold spaces and parentheses, so fields are counted after
    // its last ')': field 3 (state) is fields[0], field 4 (the parent's pid) fields[1], field n fields[n - 3]
    private static (string Name, string[] Fields) Fields(string stat) =>
        (stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')], stat[(stat.LastIndexOf(')') + 2)..].Split(' '));

    private static long Field(string[] fields, int n) => long.Parse(fields[n - 3], CultureInfo.InvariantCulture);

    private static TimeSpan Seconds(long ticks) => TimeSpan.FromSeconds(ticks / ClockTicksPerSecond);
}
