using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.School;

[Authorize(Roles = Roles.SchoolBusinessManager)]
[RequestSizeLimit(11_000_000)]
[RequestFormLimits(MultipartBodyLengthLimit = 11_000_000)]
public sealed class EvidenceModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;
    public List<(string, string)> LineOptions { get; private set; } = [];

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["file"] = "The file", ["lineId"] = "The line" };

    private async Task LoadAsync(long id, CancellationToken ct)
    {
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        LineOptions = [("", "The whole claim"), .. View.Lines.Select(l => (l.Id.ToString(), $"Line {l.LineNo}: {Gov.Words(l.Kind)}, {l.Amount}"))];
    }

    public Task OnGetAsync(long id, CancellationToken ct) => LoadAsync(id, ct);

    public async Task<IActionResult> OnPostAsync(long id, IFormFile? file, CancellationToken ct)
    {
        await LoadAsync(id, ct);
        if (file is null || file.Length == 0)
        {
            AddError("file", "Choose a file to upload");
            return Page(); // nothing more to check without the file
        }
        if (await AttemptAsync(async () =>
            {
                await using var content = file!.OpenReadStream();
                await EvidenceFiles.AttachAsync(Db, Audit, Caller, id, ReadId(Typed("lineId")), file.FileName, content, null, ct);
            }))
            return Redirect($"/school/claims/{id}");
        return Page();
    }
}
