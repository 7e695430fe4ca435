using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Finance;

[Authorize(Roles = Roles.FunderFinance)]
[RequestSizeLimit(GrantLedger.Web.Payments.Confirmations.MaxBytes + 100_000)]
[RequestFormLimits(MultipartBodyLengthLimit = GrantLedger.Web.Payments.Confirmations.MaxBytes + 100_000)]
public sealed class ConfirmationsModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public const int PageSize = 50;
    public GrantLedger.Web.Payments.Confirmations.Report? Report { get; private set; }
    /// <summary>The programme's files imported, newest first, a page of them; each links to its report.</summary>
    public IReadOnlyList<ConfirmationImport> Imports { get; private set; } = [];
    public Paging Paging { get; private set; } = new(0, 1, PageSize);
    public UserNames Names { get; private set; } = new(new Dictionary<long, string>());

    private async Task ImportsAsync(CancellationToken ct)
    {
        var imports = Db.Set<ConfirmationImport>().AsNoTracking().Where(i => i.ProgrammeId == Caller.ProgrammeId);
        Paging = Paging.Of(await imports.CountAsync(ct), Typed("page"), PageSize);
        Imports = await imports.OrderByDescending(i => i.Id).Skip(Paging.Skip).Take(PageSize).ToListAsync(ct);
        Names = await UserNames.OfAsync(Db, Imports.Select(i => (long?)i.ImportedBy), ct);
    }

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["file"] = "Select the confirmations file to import",
    };

    public Task OnGetAsync(CancellationToken ct) => ImportsAsync(ct);

    public async Task<IActionResult> OnPostAsync(IFormFile? file, CancellationToken ct)
    {
        if (file is null || file.Length == 0)
        {
            if (file is null) LeftOut("file");
            else AddError("file", "The selected file is empty"); // chosen, but 0 bytes: GOV.UK's words
            await ImportsAsync(ct);
            return Page(); // nothing more to check without the file
        }
        await AttemptAsync(async () =>
        {
            await using var content = file!.OpenReadStream();
            Report = await GrantLedger.Web.Payments.Confirmations.ImportAsync(Db, Audit, Caller, Caller.ProgrammeId!.Value, file.FileName, content, ct);
        });
        await ImportsAsync(ct);
        return Page();
    }
}
