using System.CommandLine;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Npgsql;

namespace GrantLedger.Web.Cli;

/// <summary><c>audit seal</c> seals what is queued now; <c>audit verify</c> recomputes every hash chain (exit code 3 on a mismatch).</summary>
public static class AuditCommands
{
    public static Command Create(Func<Func<IServiceProvider, DatabaseEndpoint, Task<int>>, CancellationToken, Task<int>> withServices)
    {
        var audit = new Command("audit", "Tamper evidence: seal and verify the hash chains of journal entries and audit events.");

        var seal = new Command("seal", "Seal every record waiting to be sealed, now (the service also does this in the background).");
        seal.SetAction((_, ct) => withServices((services, _) => SealAsync(services.GetRequiredService<NpgsqlDataSource>(), Console.Out, ct), ct));
        audit.Subcommands.Add(seal);

        var verify = new Command("verify", "Recompute every chain from the records; name the first record that does not match its seal.");
        verify.SetAction((_, ct) => withServices((services, _) => VerifyAsync(services.GetRequiredService<NpgsqlDataSource>(), Console.Out, ct), ct));
        audit.Subcommands.Add(verify);
        return audit;
    }

    public static async Task<int> SealAsync(NpgsqlDataSource dataSource, TextWriter output, CancellationToken ct)
    {
        var sealedNow = await Sealing.SealAllAsync(dataSource, ct);
        if (sealedNow.Count == 0) output.WriteLine("Nothing was waiting to be sealed.");
        foreach (var s in sealedNow) output.WriteLine($"{s.Chain}: sealed {s.Records} records, up to seal {s.LastSeq}");
        return 0;
    }

    /// <returns>0 when every chain matches its records; 3 when one does not</returns>
    public static async Task<int> VerifyAsync(NpgsqlDataSource dataSource, TextWriter output, CancellationToken ct)
    {
        var report = await Verification.VerifyAsync(dataSource, ct: ct);
        foreach (var c in report.Chains)
        {
            var state = c.FirstMismatch is { } m ? $"MISMATCH at seal {m.Seq}: {m.Problem}" : "ok";
            output.WriteLine($"{c.Chain}: {c.Sealed} sealed, {c.Verified} verified, {c.Unsealed} waiting; head {c.Head ?? "-"}; {state}");
        }
        foreach (var o in report.NeitherSealedNorQueued) output.WriteLine($"{o.Chain}: {o.Problem}");
        output.WriteLine(report.Ok
            ? "Every chain matches its records."
            : $"FIRST MISMATCH: {report.FirstMismatch!.Chain} seal {report.FirstMismatch.Seq}: {report.FirstMismatch.Problem}");
        return report.Ok ? 0 : 3;
    }

    /// <summary>The first admin, made at the console, is recorded like every other user created.</summary>
    public static async Task RecordAdminCreatedAsync(IServiceProvider services, AppUser user, CancellationToken ct)
    {
        var db = services.GetRequiredService<GrantLedgerDb>();
        var e = services.GetRequiredService<AuditTrail>().Record(AuditAction.UserCreated, user.Id, null,
            new { user.UserName, user.DisplayName, user.Role, via = "cli", osUser = Environment.UserName });
        e.UserName = $"command line ({Environment.UserName})";
        await db.SaveChangesAsync(ct);
    }
}
