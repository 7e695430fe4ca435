using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Payments;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Finance;

[Authorize(Roles = Roles.FunderFinance)]
[RequestSizeLimit(GrantLedger.Web.Payments.Confirmations.MaxBytes + 100_000)]
[RequestFormLimits(MultipartBodyLengthLimit = GrantLedger.Web.Payments.Confirmations.MaxBytes + 100_000)]
public sealed class ConfirmationsModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public GrantLedger.Web.Payments.Confirmations.Report? Report { get; private set; }

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["file"] = "Select the confirmations file to import",
    };

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(IFormFile? file, CancellationToken ct)
    {
        if (file is null || file.Length == 0)
        {
            if (file is null) LeftOut("file");
            else AddError("file", "The selected file is empty"); // chosen, but 0 bytes: GOV.UK's words
            return Page(); // nothing more to check without the file
        }
        await AttemptAsync(async () =>
        {
            await using var content = file!.OpenReadStream();
            Report = await GrantLedger.Web.Payments.Confirmations.ImportAsync(Db, Audit, Caller, Caller.ProgrammeId!.Value, file.FileName, content, ct);
        });
        return Page();
    }
}
