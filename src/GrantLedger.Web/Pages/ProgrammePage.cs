using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages;

/// <summary>Pages that work on one programme (the ledger, exports): the user's own, or the one an auditor chooses.</summary>
public abstract class ProgrammePage(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    [BindProperty(SupportsGet = true)] public long? ProgrammeId { get; set; }
    public List<(string, string)> ProgrammeOptions { get; private set; } = [];

    /// <summary>
    /// The account code filter's example: the programme's first school's accounts, to its URN ("dm:2026-27:school:100101"),
    /// so that the example finds something (the pages gave one fixed code, of a URN the demo does not have); before any
    /// school has an account, the programme's code alone.
    /// </summary>
    public string AccountExample { get; private set; } = "";

    /// <summary>The URN of the account example's school ("100101"), the journal's School URN example; empty before any school has an account.</summary>
    public string UrnExample => AccountExample.Split(':') is [_, _, "school", var urn] ? urn : "";

    protected async Task LoadAccountExampleAsync(long programmeId, CancellationToken ct)
    {
        // the first school account's code in the order of account_programme_code (text_pattern_ops: byte by byte, which is the
        // order of the C.UTF-8 collation), read from that index: ORDER BY code sorted the programme's every account for it
        // (576,012 at national scale, 0.2–0.9 s for each journal or accounts page: docs/performance-reads.md)
        var code = (await Db.Database.SqlQuery<string>($"""
            SELECT code AS "Value" FROM account WHERE programme_id = {programmeId} AND school_id IS NOT NULL ORDER BY programme_id, code USING ~<~ LIMIT 1
            """).ToListAsync(ct)).FirstOrDefault();
        AccountExample = code is not null ? string.Join(':', code.Split(':').Take(4))
            : await Db.Programmes.AsNoTracking().Where(p => p.Id == programmeId).Select(p => p.Code + ":").FirstOrDefaultAsync(ct) ?? ""; // none: a programme that is not one shows nothing
    }

    protected async Task<long> ProgrammeAsync(CancellationToken ct)
    {
        var programmes = await ProgrammesAsync(ct);
        ProgrammeOptions = programmes.Select(p => (p.Id.ToString(), p.Name)).ToList();
        ProgrammeId ??= Caller.ProgrammeId ?? programmes.FirstOrDefault()?.Id;
        if (ProgrammeId is null) throw new Core.Rules.NotFound("programme", "any");
        Caller.EnsureProgramme(ProgrammeId.Value);
        return ProgrammeId.Value;
    }
}
