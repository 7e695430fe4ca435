using System.Text;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>
/// Allocates per-school amounts from a CSV (<see cref="AllocationImport"/>): every problem listed by row and column and
/// nothing posted until the whole file is right; then a check of how many schools and the total per category; then one
/// allocation, one journal entry, as the API's <c>lines</c> make it. The check page carries the rows on, hidden, as a file
/// of the same columns, which the confirming post reads and checks again.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
[RequestSizeLimit(MostBytes)]
[RequestFormLimits(MultipartBodyLengthLimit = MostBytes, ValueLengthLimit = MostBytes)]
public sealed class ImportAllocationModel(GrantLedgerDb db, AuditTrail audit) : AdminMoneyPage(db, audit)
{
    public const int MostBytes = AllocationImport.MostBytes;

    /// <summary>The hidden field that carries the rows from the check page to the confirming post.</summary>
    public const string RowsField = "rows";

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["file"] = "The file", ["valueDate"] = "The value date", ["description"] = "The description",
    };

    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string> { ["file"] = "Select a CSV file to import" };

    public IReadOnlyList<BudgetCategory> Categories { get; private set; } = [];

    public sealed record CategoryTotal(BudgetCategory Category, int Schools, long Total);
    public sealed record UnitTotal(string Unit, long Total, long UnallocatedBefore);

    /// <summary>What the check shows: how many schools, the total per category and per unit, and the rows carried on to post.</summary>
    public sealed record Plan(int Schools, int Rows, IReadOnlyList<CategoryTotal> Categories, IReadOnlyList<UnitTotal> Units, DateOnly Dated, string Carried);
    public Plan? Checked { get; private set; }

    private async Task LoadAsync(CancellationToken ct)
    {
        await LoadYearAsync(ct);
        Categories = await Db.CategoriesOf(ProgrammeId).ToListAsync(ct);
    }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    /// <summary>A file to start from: the columns and the page's example rows.</summary>
    public IActionResult OnGetTemplate() => File(Encoding.UTF8.GetBytes(AllocationImport.Example), "text/csv", "allocations.csv");

    /// <summary>The file's refusals on the file's field, each row's by its line; the value date's and description's on theirs.</summary>
    private async Task<Allocate.View> RunAsync(byte[] csv, DateOnly? valueDate, string? description, CancellationToken ct)
    {
        try
        {
            return await AllocationImport.RunAsync(Db, Audit, Caller, ProgrammeId, Year!.Id, csv, valueDate, description, ct);
        }
        catch (InvalidInput e)
        {
            var errors = new FieldErrors();
            foreach (var (field, messages) in e.Errors)
                foreach (var m in messages)
                    if (field == "file") errors.Add("file", $"The file {m}");
                    else errors.Add(field.StartsWith("line ") ? "file" : field, m);
            errors.ThrowIfAny();
            throw;
        }
    }

    private static string FieldOf(string f) => f is "" or "lines" ? "file" : f; // more than is unallocated is the file's

    private (DateOnly? Date, string? Description) ReadAnswers() => (ReadDate("valueDate", "the value date", required: false), Filled("description"));

    public async Task<IActionResult> OnPostAsync(IFormFile? file, CancellationToken ct)
    {
        await LoadAsync(ct);
        if (Year is null) return NotFound();
        if (file is null || file.Length == 0) LeftOut("file");
        var (date, description) = ReadAnswers();
        if (file is null || file.Length == 0) return Page(); // nothing more to check without the file
        using var content = new MemoryStream();
        await file.CopyToAsync(content, ct);
        var csv = content.ToArray();
        if (await CheckAsync(() => RunAsync(csv, date, description, ct), FieldOf))
        {
            var rows = await AllocationImport.ReadAsync(csv, Categories, new FieldErrors(), ct); // as checked: every row right
            var byId = Categories.ToDictionary(c => c.Id);
            var lines = rows.Lines.Select(l => (Category: byId[l.CategoryId!.Value], l.Urn, Amount: l.Amount?.Pence ?? l.Minutes!.Value)).ToList();
            var categories = lines.GroupBy(l => l.Category.Id).Select(g => new CategoryTotal(g.First().Category, g.Select(l => l.Urn).Distinct().Count(), g.Sum(l => l.Amount)))
                .OrderBy(c => c.Category.Id).ToList();
            var unallocated = await UnallocatedAsync(ct);
            var units = lines.GroupBy(l => l.Category.Unit).OrderBy(g => g.Key == "GBP" ? 0 : 1)
                .Select(g => new UnitTotal(g.Key, g.Sum(l => l.Amount), unallocated.GetValueOrDefault(g.Key))).ToList();
            Checking = true;
            Checked = new Plan(lines.Select(l => l.Urn).Distinct().Count(), lines.Count, categories, units, DatedOn(date), AllocationImport.Write(rows.Lines));
        }
        return Page();
    }

    /// <summary>Back from the check to change the answers: the file is not kept, so the form says to choose it again.</summary>
    public bool Changing { get; private set; }

    public async Task<IActionResult> OnPostChangeAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        Changing = true;
        return Page();
    }

    /// <summary>Allocates the rows the check page carried: read and checked again; once per form, however often it is posted.</summary>
    public async Task<IActionResult> OnPostConfirmAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        if (Year is null) return NotFound();
        var (date, description) = ReadAnswers();
        var csv = Encoding.UTF8.GetBytes(Typed(RowsField));
        if (HasErrors) return Page();
        return await OnceAsync(async () =>
        {
            var view = await RunAsync(csv, date, description, ct);
            return $"/admin/allocations/done/{view.EntryId}";
        }, "the allocation was made") ?? Page();
    }
}
