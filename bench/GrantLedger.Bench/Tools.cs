namespace GrantLedger.Bench;

/// <summary>Programs from Debian that some benchmarks drive (wrk, tcpdump).</summary>
public static class Tools
{
    /// <summary>Stops the run early with <paramref name="otherwise"/> when <paramref name="program"/> is not on the PATH.</summary>
    public static void Require(string program, string otherwise)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, program)));
        if (!found) throw new InvalidOperationException(otherwise);
    }
}
