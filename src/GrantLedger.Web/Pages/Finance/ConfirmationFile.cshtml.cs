using System.Text.Json;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Finance;

/// <summary>
/// A confirmations file imported: when, by whom, its SHA-256, and its report as the import showed it, line by line, kept as it
/// was recorded (the import's report is only shown once, in the answer to the upload, and the audit trail's event is the auditor's).
/// </summary>
[Authorize(Roles = Roles.FunderFinance)]
public sealed class ConfirmationFileModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ConfirmationImport Import { get; private set; } = null!;
    public IReadOnlyList<Confirmations.LineOutcome> Lines { get; private set; } = [];
    public string ImportedBy { get; private set; } = "";

    public async Task OnGetAsync(long id, CancellationToken ct)
    {
        Import = await Db.Set<ConfirmationImport>().AsNoTracking().SingleOrDefaultAsync(i => i.Id == id && i.ProgrammeId == Caller.ProgrammeId, ct)
                 ?? throw new Core.Rules.NotFound("confirmations file", id); // another programme's is not said to exist
        Lines = Import.Report.Deserialize<List<Confirmations.LineOutcome>>() ?? [];
        ImportedBy = (await UserNames.OfAsync(Db, [Import.ImportedBy], ct)).Of(Import.ImportedBy);
    }
}
