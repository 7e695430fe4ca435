using System.Text.Json.Serialization;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Programmes;

/// <summary>
/// Enrols schools from a CSV in the layout of the DfE "Get Information About Schools" extract
/// (URN, EstablishmentName, LA (name), PhaseOfEducation (name), … in any order, other columns
/// ignored). Each school's area is the one named in an "Area" column if the file has one, else
/// the one whose name matches "LA (name)", unless the request names one area for every row. An
/// optional "PayeeReference" column gives each school's supplier reference in the finance system.
/// Bad rows are reported by line and reason; the good ones are enrolled together, in one transaction. A payee reference
/// another school of the programme has, or an earlier row of the file gives, is a bad row (case and spaces aside).
/// A row for a school already enrolled changes nothing (its reference is changed with <see cref="PayeeReferences"/>).
/// The API enrols the good rows; the import page asks for all or none (<c>allOrNone</c>): any bad row but an enrolled
/// school's, and nothing is enrolled.
/// </summary>
public static class ImportSchools
{
    /// <summary>The largest file taken, through the API or the import page alike.</summary>
    public const int MostBytes = 20_000_000;

    /// <param name="AlreadyEnrolled">the row is a school already enrolled, which it leaves as it is (the page does not call it a problem)</param>
    public sealed record RejectedRow(int Line, string? Urn, string Reason, [property: JsonIgnore] bool AlreadyEnrolled = false);
    public sealed record Report(int Imported, int Rejected, IReadOnlyList<RejectedRow> Rejections);

    private static readonly string[] Required = ["URN", "EstablishmentName", "PhaseOfEducation (name)"];

    public static async Task<Report> RunAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, long? areaId,
        Stream csv, CancellationToken ct, bool allOrNone = false)
    {
        await SetUp.RequireProgrammeAdminAsync(db, caller, programmeId, ct);
        var areas = await db.Areas.AsNoTracking().Where(a => a.ProgrammeId == programmeId).ToListAsync(ct);
        if (areaId is not null && areas.All(a => a.Id != areaId))
            throw new InvalidInput("areaId", $"area {areaId} is not an area of this programme");
        var areaByName = areas.SelectMany(a => new[] { (Key: a.Name, a.Id), (Key: a.Code, a.Id) })
            .DistinctBy(x => x.Key.ToUpperInvariant()).ToDictionary(x => x.Key.ToUpperInvariant(), x => x.Id);
        var enrolled = await db.Schools.Where(s => s.ProgrammeId == programmeId).ToDictionaryAsync(s => s.Urn, s => s.Id, ct);

        using var file = new MemoryStream(); // at most the endpoint's request size limit
        await csv.CopyToAsync(file, ct);
        await using var parser = CsvFiles.Open(file.ToArray(), 1 << 20);
        await CsvFiles.ReadHeaderAsync(parser, ct);
        var header = parser.Headers.ToHashSet();
        if (header.Count == 0)
            throw new InvalidInput("file", "is empty: expected a header row with URN, EstablishmentName, LA (name), PhaseOfEducation (name)");
        var missing = Required.Where(c => !header.Contains(c)).ToList();
        var areaColumn = header.Contains("Area") ? "Area" : "LA (name)";
        if (areaId is null && !header.Contains(areaColumn)) missing.Add("LA (name) or Area (or give areaId)");
        if (missing.Count > 0) throw new InvalidInput("file", "is missing the column(s) " + string.Join(", ", missing));

        var rejected = new List<RejectedRow>();
        var schools = new List<School>();
        var lines = new List<int>(); // each school's line in the file
        var seen = new HashSet<string>();
        while (await CsvFiles.ReadAsync(parser, ct))
        {
            var line = (int)parser.LineNumber;
            if (CsvFiles.RowProblem(parser) is { } problem)
            {
                rejected.Add(new RejectedRow(line, null, problem)); // its fields cannot be told apart: not even its URN
                continue;
            }
            string Field(string name) => header.Contains(name) ? parser.GetString(name) : "";
            var urn = Field("URN");
            var name = Field("EstablishmentName");
            var phase = Field("PhaseOfEducation (name)");
            var la = Field("LA (name)");
            var payee = PayeeReferences.Normalised(Field("PayeeReference"));
            string? reason = null;
            var alreadyEnrolled = false;
            long area = 0;
            if (!Schools.Urn().IsMatch(urn)) reason = RowMessages.Says("URN", urn.Length == 0 ? "is required" : "must be six digits");
            else if (!seen.Add(urn)) reason = $"URN {urn} appears more than once in the file";
            else if (enrolled.TryGetValue(urn, out var enrolledId))
                (alreadyEnrolled, reason) = (true, $"URN {urn} is already enrolled in this programme" + (payee is null ? ""
                    : $"; an import does not change an enrolled school: a programme admin sets its payee reference with {PayeeReferences.HowToSet(enrolledId)}"));
            else if (Schools.NameProblem(name) is { } nameProblem) reason = RowMessages.Says("EstablishmentName", nameProblem);
            else if (Schools.PhaseProblem(phase) is { } phaseProblem) reason = RowMessages.Says("PhaseOfEducation (name)", phaseProblem);
            else if (FreeText.Problem(la, Schools.MostLocalAuthority, required: false) is { } laProblem) reason = RowMessages.Says("LA (name)", laProblem);
            else if (PayeeReferences.Problem(payee) is { } payeeProblem) reason = RowMessages.Says("PayeeReference", payeeProblem);
            else if (areaId is { } given) area = given;
            else if (!areaByName.TryGetValue(Field(areaColumn).ToUpperInvariant(), out area))
                reason = $"no area of this programme is called '{Field(areaColumn)}'";
            if (reason is not null)
            {
                rejected.Add(new RejectedRow(line, urn.Length > 0 ? urn : null, reason, alreadyEnrolled));
                continue;
            }
            schools.Add(new School
            {
                ProgrammeId = programmeId, Urn = urn, Name = name, Phase = Schools.PhaseNamed(phase)!,
                LocalAuthority = la.Length > 0 ? la : null, AreaId = area, PayeeReference = payee,
            });
            lines.Add(line);
        }
        var holders = await PayeeReferences.HoldersAsync(db, programmeId, schools.Select(s => s.PayeeReference).ToList(), null, ct);
        schools = WithoutSharedPayeeReferences(holders, schools, lines, rejected);
        rejected.Sort((a, b) => a.Line.CompareTo(b.Line));
        if (allOrNone && rejected.Any(r => !r.AlreadyEnrolled)) schools = [];

        if (schools.Count > 0)
        {
            await db.InTransactionAsync(async () =>
            {
                db.Schools.AddRange(schools);
                await db.SaveChangesAsync(ct);
                audit.Record(AuditAction.SchoolsImported, programmeId, programmeId,
                    new { imported = schools.Count, urns = schools.Select(s => s.Urn), rejected });
                await db.SaveChangesAsync(ct);
            }, ct);
        }
        return new Report(schools.Count, rejected.Count, rejected);
    }

    /// <summary>The schools to enrol: those whose reference no enrolled school and no earlier row has (the others rejected).</summary>
    private static List<School> WithoutSharedPayeeReferences(IReadOnlyList<PayeeReferences.Holder> holders, List<School> schools, List<int> lines,
        List<RejectedRow> rejected)
    {
        var firstLine = new Dictionary<string, int>();
        var kept = new List<School>();
        for (var i = 0; i < schools.Count; i++)
        {
            string? reason = null;
            if (holders[i] is { SchoolId: not null } taken) reason = $"is taken: {taken.Describe()}";
            else if (holders[i].Key is { } key && !firstLine.TryAdd(key, lines[i])) reason = $"is also given on line {firstLine[key]} (case and spaces aside)";
            if (reason is null) kept.Add(schools[i]);
            else rejected.Add(new RejectedRow(lines[i], schools[i].Urn,
                $"PayeeReference '{schools[i].PayeeReference}' {reason}: two schools cannot share one, or one payment file would pay both into one account"));
        }
        return kept;
    }
}
