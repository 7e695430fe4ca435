using System.CommandLine;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Npgsql;

namespace GrantLedger.Web.Cli;

/// <summary>
/// <c>audit seal</c> seals what is queued now; <c>audit verify</c> recomputes every hash chain (exit code 3 on a mismatch);
/// <c>audit check</c> checks the ledger's invariants over its rows (exit code 3 when one does not hold).
/// </summary>
public static class AuditCommands
{
    public static Command Create(Func<Func<IServiceProvider, DatabaseEndpoint, Task<int>>, CancellationToken, Task<int>> withServices)
    {
        var audit = new Command("audit", "Tamper evidence: seal and verify the hash chains of journal entries and audit events; check the ledger's invariants.");

        var seal = new Command("seal", "Seal every record waiting to be sealed, now (the service also does this in the background).");
        seal.SetAction((_, ct) => withServices((services, _) => SealAsync(services.GetRequiredService<NpgsqlDataSource>(), Console.Out, ct), ct));
        audit.Subcommands.Add(seal);

        var verify = new Command("verify", "Recompute every chain from the records; name the first record that does not match its seal.");
        var noted = new Option<FileInfo?>("--noted")
        {
            Description = "a file of heads noted at an earlier check (as --write-heads writes them, \"chain,seal,hash\" a line): each must still be in its chain",
        };
        var writeHeads = new Option<FileInfo?>("--write-heads") { Description = "write each chain's head, as verified, to this file to keep for the next check" };
        verify.Options.Add(noted);
        verify.Options.Add(writeHeads);
        verify.SetAction((parse, ct) => withServices((services, _) => VerifyAsync(services.GetRequiredService<NpgsqlDataSource>(), Console.Out, ct,
            parse.GetValue(noted), parse.GetValue(writeHeads)), ct));
        audit.Subcommands.Add(verify);

        var check = new Command("check", "Check the ledger's invariants over the rows as they stand; name what breaks each.");
        var most = new Option<int>("--most") { Description = "the most rows to name for each check that does not hold", DefaultValueFactory = _ => 20 };
        var programme = new Option<long?>("--programme") { Description = "check one programme's rows (its id), not every programme's" };
        check.Options.Add(most);
        check.Options.Add(programme);
        check.SetAction((parse, ct) => withServices((services, _) => CheckAsync(services.GetRequiredService<NpgsqlDataSource>(), Console.Out, ct,
            parse.GetValue(most), parse.GetValue(programme)), ct));
        audit.Subcommands.Add(check);
        return audit;
    }

    public static async Task<int> SealAsync(NpgsqlDataSource dataSource, TextWriter output, CancellationToken ct)
    {
        var sealedNow = await Sealing.SealAllAsync(dataSource, ct);
        if (sealedNow.Count == 0) output.WriteLine("Nothing was waiting to be sealed.");
        foreach (var s in sealedNow) output.WriteLine($"{s.Chain}: sealed {s.Records} records, up to seal {s.LastSeq}");
        return 0;
    }

    /// <param name="noted">a file of heads noted at an earlier check, "chain,seal,hash" a line, each checked against its seal</param>
    /// <param name="writeHeads">where to write each chain's head as verified, in the same form</param>
    /// <returns>0 when every chain matches its records and holds every head noted; 3 when not; 2 when the file of heads cannot be read</returns>
    public static async Task<int> VerifyAsync(NpgsqlDataSource dataSource, TextWriter output, CancellationToken ct, FileInfo? noted = null,
        FileInfo? writeHeads = null)
    {
        IReadOnlyList<Verification.NotedHead> heads;
        try
        {
            heads = noted is null ? [] : Verification.ReadNoted(await File.ReadAllLinesAsync(noted.FullName, ct));
        }
        catch (Exception e) when (e is InvalidInput or IOException or UnauthorizedAccessException)
        {
            output.WriteLine($"The heads in {noted!.FullName} cannot be read: "
                + (e is InvalidInput invalid ? string.Join("; ", invalid.Errors.Values.SelectMany(m => m)) : e.Message));
            return 2;
        }
        var report = await Verification.VerifyAsync(dataSource, ct: ct, noted: heads);
        foreach (var c in report.Chains)
        {
            var state = c.FirstMismatch is { } m ? $"MISMATCH at seal {m.Seq}: {m.Problem}" : "ok";
            output.WriteLine($"{c.Chain}: {c.Sealed} sealed, {c.Verified} verified, {c.Unsealed} waiting; head {c.Head ?? "-"}; {state}");
        }
        foreach (var o in report.NeitherSealedNorQueued) output.WriteLine($"{o.Chain}: {o.Problem}");
        foreach (var h in report.Noted)
            output.WriteLine($"noted {h.Chain} seal {h.Seq}: {(h.Result == "extended" ? "ok" : h.Result.ToUpperInvariant())}; {h.Says}");
        if (writeHeads is not null)
        {
            await File.WriteAllTextAsync(writeHeads.FullName, Verification.HeadsCsv(report), ct);
            output.WriteLine($"Heads written to {writeHeads.FullName}: keep the file and give it as --noted at the next check.");
        }
        output.WriteLine(report.Ok ? "Every chain matches its records." + (report.Noted.Count > 0 ? " Every head noted is still in its chain." : "")
            : report.FirstMismatch is { } first ? $"FIRST MISMATCH: {first.Chain} seal {first.Seq}: {first.Problem}"
            : "REWRITTEN: a head noted is not in its chain as it was.");
        return report.Ok ? 0 : 3;
    }

    /// <returns>0 when every check holds; 3 when one does not; 2 when <paramref name="most"/> is below 1 or there is no such programme</returns>
    public static async Task<int> CheckAsync(NpgsqlDataSource dataSource, TextWriter output, CancellationToken ct, int most = 20, long? programmeId = null)
    {
        if (most < 1)
        {
            output.WriteLine($"--most must be 1 or more, not {most}.");
            return 2;
        }
        if (programmeId is { } id)
        {
            await using var named = dataSource.CreateCommand("SELECT name FROM programme WHERE id = $1");
            named.Parameters.Add(new NpgsqlParameter { Value = id });
            if (await named.ExecuteScalarAsync(ct) is not string name)
            {
                output.WriteLine($"There is no programme {id}: --programme takes a programme's id.");
                return 2;
            }
            output.WriteLine($"{name} (programme {id}): its rows alone.");
        }
        var results = await LedgerChecks.RunAsync(dataSource, most, ct, programmeId: programmeId);
        foreach (var r in results)
        {
            output.WriteLine($"{(r.Holds ? "holds" : "BROKEN")} {r.Name}");
            foreach (var found in r.Found) output.WriteLine($"         {found}");
            if (r.More) output.WriteLine($"         … and more (the first {most} shown; --most shows more)");
        }
        var broken = results.Count(r => !r.Holds);
        output.WriteLine(LedgerChecks.Summary(results) + broken switch
        {
            0 => ".",
            1 => ": each row named above breaks it.",
            _ => ": each row named above breaks one.",
        });
        return broken == 0 ? 0 : 3;
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
