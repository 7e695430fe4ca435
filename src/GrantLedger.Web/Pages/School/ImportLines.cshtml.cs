using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.School;

/// <summary>Adds a draft claim's lines from a CSV (<see cref="LineImport"/>), with the ids its columns need shown beside the form.</summary>
[Authorize(Roles = Roles.SchoolBusinessManager)]
[RequestSizeLimit(1_000_000)]
[RequestFormLimits(MultipartBodyLengthLimit = 1_000_000)]
public sealed class ImportLinesModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    public ClaimView View { get; private set; } = null!;

    /// <summary>The claim has been submitted: the page says it can no longer be changed, and offers no form.</summary>
    public bool Submitted { get; private set; }
    /// <summary>The programme's budget categories: id, code, name and kind, for the categoryId and allowanceCategoryId columns.</summary>
    public List<(long Id, string Code, string Name, string Kind)> Categories { get; private set; } = [];

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string> { ["file"] = "Select a CSV file to import" };

    private async Task LoadAsync(long id, CancellationToken ct)
    {
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        if (Submitted = CheckModel.SubmittedSince(View, "add-line")) return;
        if (!View.AllowedActions.Contains("add-line")) throw new Forbidden("this claim is not a draft you can change");
        Categories = (await Db.CategoriesOf(View.ProgrammeId).Select(c => new { c.Id, c.Code, c.Name, c.Kind }).ToListAsync(ct))
            .Select(c => (c.Id, c.Code, c.Name, c.Kind)).ToList();
    }

    public Task OnGetAsync(long id, CancellationToken ct) => LoadAsync(id, ct);

    public async Task<IActionResult> OnPostAsync(long id, IFormFile? file, CancellationToken ct)
    {
        await LoadAsync(id, ct);
        if (Submitted) return Page();
        if (file is null || file.Length == 0)
        {
            LeftOut("file");
            return Page(); // nothing more to check without the file
        }
        return await OnceAsync(async () =>
            {
                await using var content = file!.OpenReadStream();
                try
                {
                    await LineImport.RunAsync(Db, Audit, Caller, id, content, null, ct);
                }
                catch (InvalidInput e)
                {
                    // every refusal is about the file: "The file has no kind column", "Line 3: the hours must be …" (each row's says its line)
                    throw new InvalidInput(new Dictionary<string, string[]>
                    {
                        ["file"] = e.Errors.SelectMany(kv => kv.Value.Select(m => kv.Key == "file" ? $"The file {m}" : m)).ToArray(),
                    });
                }
                return $"/school/claims/{id}";
            }, "the lines were imported") ?? Page();
    }
}
