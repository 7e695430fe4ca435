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

    /// <summary>The claim has been submitted: the page says it can no longer be changed, and offers no form.</summary>
    public bool Submitted { get; private set; }

    /// <summary>Opened from the check page's Change link: it goes back, and the upload leads, there.</summary>
    public bool FromCheck => CheckModel.OpenedFromCheck(Request);
    public string Back => CheckModel.Back(Request, View.Id);

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["file"] = "The file", ["lineId"] = "The line" };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string>
    {
        ["file"] = "Select the invoice or receipt to upload", ["lineId"] = "Select the line it is for, or the whole claim",
    };

    /// <summary>
    /// The whole claim, chosen as a line is: the select starts blank, as a file put on the whole claim by default did not
    /// count as its line's invoice when the claim was submitted.
    /// </summary>
    private const string WholeClaim = "claim";

    private async Task LoadAsync(long id, CancellationToken ct)
    {
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        Submitted = CheckModel.SubmittedSince(View, "attach-evidence");
        LineOptions = [(WholeClaim, "The whole claim"), .. View.Lines.Select(l => (l.Id.ToString(), $"Line {l.LineNo}: {Gov.LineKind(l.Kind)}, {l.Amount}"))];
    }

    public Task OnGetAsync(long id, CancellationToken ct) => LoadAsync(id, ct);

    public async Task<IActionResult> OnPostAsync(long id, IFormFile? file, CancellationToken ct)
    {
        await LoadAsync(id, ct);
        if (Submitted) return Page();
        var lineId = Given("lineId") && Typed("lineId") != WholeClaim ? ReadId("lineId") : null;
        if (file is null || file.Length == 0)
        {
            LeftOut("file");
            return Page(); // nothing more to check without the file
        }
        return await OnceAsync(async () =>
            {
                await using var content = file!.OpenReadStream();
                await EvidenceFiles.AttachAsync(Db, Audit, Caller, id, lineId, file.FileName, content, null, ct);
                return Back;
            }, "the file was uploaded") ?? Page();
    }
}
