using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages.Admin;

/// <summary>
/// Enrols schools from a "Get Information About Schools" CSV, as <c>POST /api/v1/programmes/{id}/schools/import</c> does
/// (<see cref="Programmes.ImportSchools"/>), but all or none: a file with any bad row enrols nothing and lists every
/// problem by line. Rows for schools already enrolled change nothing and are counted, not refused.
/// </summary>
[Authorize(Roles = Roles.ProgrammeAdmin)]
[RequestSizeLimit(MostBytes)]
[RequestFormLimits(MultipartBodyLengthLimit = MostBytes)]
public sealed class ImportSchoolsModel(GrantLedgerDb db, AuditTrail audit) : ProgrammePage(db, audit)
{
    /// <summary>The API's limit for the same file.</summary>
    public const int MostBytes = Programmes.ImportSchools.MostBytes;

    public List<(string, string)> AreaOptions { get; private set; } = [];

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["areaId"] = "The area", ["file"] = "The file" };
    protected override IReadOnlyDictionary<string, string> WhenLeftOut { get; } = new Dictionary<string, string> { ["file"] = "Select a CSV file to import" };

    private async Task<long> LoadAsync(CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        AreaOptions = await AreaChoices.OfProgrammeAsync(Db, programmeId, ct);
        return programmeId;
    }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync(IFormFile? file, CancellationToken ct)
    {
        var programmeId = await LoadAsync(ct);
        var areaId = ReadId("areaId");
        if (file is null || file.Length == 0) LeftOut("file");
        if (HasErrors) return Page(); // nothing more to check without the file, nor with an area that cannot be read

        Programmes.ImportSchools.Report? report = null;
        var next = await OnceAsync(async () =>
        {
            await using var content = file!.OpenReadStream();
            report = await Programmes.ImportSchools.RunAsync(Db, Audit, Caller, programmeId, areaId, content, ct, allOrNone: true);
            var problems = report.Rejections.Count(r => !r.AlreadyEnrolled);
            // refused, so that the one-time key is not spent: the file put right is imported with the same form
            if (problems > 0)
                throw new InvalidInput("file", $"is not imported: {(problems == 1 ? "1 row has a problem" : $"{Gov.Number(problems)} rows have problems")}, "
                                               + "listed below. No school was enrolled: put them right and import the whole file again");
            return Caller.ProgrammeId is null ? $"/admin/schools?programmeId={programmeId}" : "/admin/schools";
        }, "the schools were imported");
        if (next is null)
        {
            // each bad row by its line, after the file's refusal (a file the use case could not read has none)
            foreach (var p in report?.Rejections.Where(r => !r.AlreadyEnrolled) ?? []) AddError("file", $"Line {p.Line}{(p.Urn is null ? "" : $" (URN {p.Urn})")}: {p.Reason}");
            return Page();
        }
        if (report is not null)
        {
            var already = report.Rejections.Count(r => r.AlreadyEnrolled);
            SayDone($"{Gov.Number(report.Imported)} {(report.Imported == 1 ? "school was" : "schools were")} enrolled"
                    + (already == 0 ? "" : $"; {Gov.Number(already)} {(already == 1 ? "row was for a school" : "rows were for schools")} already enrolled, which changed nothing"));
        }
        return next;
    }
}
