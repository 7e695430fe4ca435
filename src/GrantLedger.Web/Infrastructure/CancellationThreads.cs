namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// Threads kept ready for Npgsql's cancellations. When a statement's Command Timeout passes, Npgsql sends PostgreSQL a cancel
/// request on a connection of its own and waits for the server to close it, synchronously, on the thread-pool thread that
/// noticed the timeout: up to twice the connection's Timeout when the server does not answer (6 s under Timeout=3, 4 s under
/// Timeout=2, measured). A database that stops answering so holds a thread for every connection that was busy. The thread
/// pool adds threads slowly once all of its threads are held (about one a second, measured), and the work waiting for a
/// thread meanwhile waits too: the readiness check's own clock, the next statements' timeouts (whose cancellations so
/// start late). With sixteen claims in flight when PostgreSQL froze, some were answered after 15 s instead of 9; with
/// thirty-two, /health/ready took 14 s to say "not ready" (docs/reliability.md, "Found by the freeze drill: a cancellation
/// waited for a thread").
/// <para>
/// So the pool's minimum counts a thread for every connection the service's pools may hold, beside the runtime's own minimum
/// (one a core). The pool makes threads up to its minimum at once when work waits for one, and none while none does: under
/// the submission benchmark at four clients the process ran 24–31 threads, against 18–25 without, and the ratios of four
/// rounds each, alternated, were within their usual spread (docs/performance.md, section 45).
/// </para>
/// </summary>
public static class CancellationThreads
{
    private static readonly Dictionary<string, int> Pools = [];
    private static readonly int RuntimeMinimum = RuntimeWorkerMinimum();

    /// <summary>Counts the connections of the pool named <paramref name="pool"/> (the largest it was given) in the thread pool's minimum.</summary>
    public static void Reserve(string pool, int maxConnections)
    {
        lock (Pools)
        {
            Pools[pool] = Math.Max(Pools.GetValueOrDefault(pool), maxConnections);
            ThreadPool.GetMinThreads(out var workers, out var io);
            var wanted = RuntimeMinimum + Pools.Values.Sum();
            if (wanted > workers) ThreadPool.SetMinThreads(wanted, io);
        }
    }

    private static int RuntimeWorkerMinimum()
    {
        ThreadPool.GetMinThreads(out var workers, out _);
        return workers;
    }
}
