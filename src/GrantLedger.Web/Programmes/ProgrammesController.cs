using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Programmes;

/// <summary>Programmes and their set-up: years and half-terms, areas, budget categories, schools.</summary>
[Authorize(Roles = Roles.Everyone)]
public sealed class ProgrammesController(GrantLedgerDb db, AuditTrail audit) : ApiControllerBase
{
    /// <summary>The programmes you can see.</summary>
    [HttpGet("programmes")]
    public async Task<IReadOnlyList<ProgrammeView>> List(CancellationToken ct)
    {
        var caller = Caller;
        var programmes = db.Programmes.AsNoTracking();
        if (!caller.SeesAllProgrammes) programmes = programmes.Where(p => p.Id == caller.ProgrammeId);
        return (await programmes.OrderBy(p => p.Code).ToListAsync(ct)).Select(ProgrammeView.Of).ToList();
    }

    /// <summary>Creates a programme (programme admins not tied to one programme).</summary>
    [HttpPost("programmes")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    [ProducesResponseType(typeof(ProgrammeView), 201)]
    public async Task<ActionResult<ProgrammeView>> Create(SetUp.NewProgramme request, CancellationToken ct)
    {
        var programme = await SetUp.CreateProgrammeAsync(db, audit, Caller, request, ct);
        return Created($"/api/v1/programmes/{programme.Id}", ProgrammeView.Of(programme));
    }

    [HttpGet("programmes/{programmeId:long}")]
    public async Task<ProgrammeView> Get(long programmeId, CancellationToken ct) =>
        ProgrammeView.Of(await SetUp.ProgrammeVisibleAsync(db, Caller, programmeId, ct));

    /// <summary>Renames the programme or its funder, or sets (or clears) the claim total that needs a second approval.</summary>
    [HttpPatch("programmes/{programmeId:long}")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    public async Task<ProgrammeView> Change(long programmeId, SetUp.ProgrammeChange request, CancellationToken ct) =>
        ProgrammeView.Of(await SetUp.ChangeProgrammeAsync(db, audit, Caller, programmeId, request, ct));

    [HttpGet("programmes/{programmeId:long}/years")]
    public async Task<IReadOnlyList<YearView>> Years(long programmeId, CancellationToken ct)
    {
        await SetUp.ProgrammeVisibleAsync(db, Caller, programmeId, ct);
        var years = await db.ProgrammeYears.AsNoTracking().Include(y => y.Periods)
            .Where(y => y.ProgrammeId == programmeId).OrderBy(y => y.StartsOn).ToListAsync(ct);
        return years.Select(YearView.Of).ToList();
    }

    /// <summary>A year of the programme with its six half-terms: where adding it answers it (Location).</summary>
    [HttpGet("programmes/{programmeId:long}/years/{yearId:long}")]
    public async Task<YearView> GetYear(long programmeId, long yearId, CancellationToken ct)
    {
        await SetUp.ProgrammeVisibleAsync(db, Caller, programmeId, ct);
        return YearView.Of(await db.ProgrammeYears.AsNoTracking().Include(y => y.Periods).SingleOrDefaultAsync(y => y.Id == yearId && y.ProgrammeId == programmeId, ct)
                           ?? throw new NotFound("year", yearId));
    }

    /// <summary>Adds an academic year with its six half-terms (default dates unless given).</summary>
    [HttpPost("programmes/{programmeId:long}/years")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    [ProducesResponseType(typeof(YearView), 201)]
    public async Task<ActionResult<YearView>> AddYear(long programmeId, Programmes.Years.NewYear request, CancellationToken ct)
    {
        var year = await Programmes.Years.AddAsync(db, audit, Caller, programmeId, request, ct);
        return Created($"/api/v1/programmes/{programmeId}/years/{year.Id}", YearView.Of(year));
    }

    [HttpGet("programmes/{programmeId:long}/areas")]
    public async Task<IReadOnlyList<AreaView>> Areas(long programmeId, CancellationToken ct)
    {
        await SetUp.ProgrammeVisibleAsync(db, Caller, programmeId, ct);
        return await db.Areas.AsNoTracking().Where(a => a.ProgrammeId == programmeId).OrderBy(a => a.Name)
            .Select(a => AreaView.Of(a)).ToListAsync(ct);
    }

    [HttpPost("programmes/{programmeId:long}/areas")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    [ProducesResponseType(typeof(AreaView), 201)]
    public async Task<ActionResult<AreaView>> AddArea(long programmeId, SetUp.NewArea request, CancellationToken ct)
    {
        var area = await SetUp.AddAreaAsync(db, audit, Caller, programmeId, request, ct);
        return Created($"/api/v1/areas/{area.Id}", AreaView.Of(area));
    }

    /// <summary>An area of a programme you can see: where adding it answers it (Location).</summary>
    [HttpGet("areas/{areaId:long}")]
    public async Task<AreaView> GetArea(long areaId, CancellationToken ct)
    {
        var area = await db.Areas.AsNoTracking().SingleOrDefaultAsync(a => a.Id == areaId, ct) ?? throw new NotFound("area", areaId);
        await SetUp.ProgrammeVisibleAsync(db, Caller, area.ProgrammeId, ct);
        return AreaView.Of(area);
    }

    /// <summary>Renames an area (its code stays).</summary>
    /// <remarks>Two areas of a programme never share a name, case and spaces aside: a name another area has is refused (409 area-exists). Audited as area.changed with the old name and the new.</remarks>
    [HttpPatch("areas/{areaId:long}")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    public async Task<AreaView> ChangeArea(long areaId, Corrections.NameChange request, CancellationToken ct) =>
        AreaView.Of(await Corrections.ChangeAreaAsync(db, audit, Caller, areaId, request, ct));

    [HttpGet("programmes/{programmeId:long}/categories")]
    public async Task<IReadOnlyList<CategoryView>> Categories(long programmeId, CancellationToken ct)
    {
        await SetUp.ProgrammeVisibleAsync(db, Caller, programmeId, ct);
        return await db.CategoriesOf(programmeId).Select(c => CategoryView.Of(c)).ToListAsync(ct);
    }

    [HttpPost("programmes/{programmeId:long}/categories")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    [ProducesResponseType(typeof(CategoryView), 201)]
    public async Task<ActionResult<CategoryView>> AddCategory(long programmeId, SetUp.NewCategory request, CancellationToken ct)
    {
        var category = await SetUp.AddCategoryAsync(db, audit, Caller, programmeId, request, ct);
        return Created($"/api/v1/categories/{category.Id}", CategoryView.Of(category));
    }

    /// <summary>A budget category of a programme you can see: where adding it answers it (Location).</summary>
    [HttpGet("categories/{categoryId:long}")]
    public async Task<CategoryView> GetCategory(long categoryId, CancellationToken ct)
    {
        var category = await db.Categories.AsNoTracking().SingleOrDefaultAsync(c => c.Id == categoryId, ct) ?? throw new NotFound("category", categoryId);
        await SetUp.ProgrammeVisibleAsync(db, Caller, category.ProgrammeId, ct);
        return CategoryView.Of(category);
    }

    /// <summary>Renames a budget category (its code, kind and unit stay).</summary>
    /// <remarks>
    /// The ledger's accounts of the category are named after it ("Hill Primary: Staff cover available 2026-27"): their names
    /// follow the new one; their codes and amounts stay. Audited as category.changed with the old name and the new.
    /// </remarks>
    [HttpPatch("categories/{categoryId:long}")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    public async Task<CategoryView> ChangeCategory(long categoryId, Corrections.NameChange request, CancellationToken ct) =>
        CategoryView.Of(await Corrections.ChangeCategoryAsync(db, audit, Caller, categoryId, request, ct));

    public static readonly WholeUnlessLimited SchoolsPage = new(5000);

    /// <summary>
    /// Schools you can see in the programme (all, your area's, or your own), optionally of one area, by URN: all of them, or a page
    /// of limit at a time with ?after={the last URN} until a page has fewer.
    /// </summary>
    /// <param name="after">the URN of the last school of the previous page</param>
    /// <param name="limit">schools per page, 1 to 5000 (without it, every school)</param>
    [HttpGet("programmes/{programmeId:long}/schools")]
    public async Task<IReadOnlyList<SchoolView>> SchoolList(long programmeId, [FromQuery] long? areaId, [FromQuery] string? after,
        [FromQuery, Limit(typeof(ProgrammesController), nameof(SchoolsPage))] int? limit, CancellationToken ct)
    {
        var most = SchoolsPage.Of(limit);
        await SetUp.ProgrammeVisibleAsync(db, Caller, programmeId, ct);
        var schools = Schools.Visible(db, Caller, programmeId);
        if (areaId is not null) schools = schools.Where(s => s.AreaId == areaId);
        if (after is not null) schools = schools.Where(s => string.Compare(s.Urn, after) > 0);
        schools = schools.OrderBy(s => s.Urn);
        if (most is { } n) schools = schools.Take(n);
        return await schools.Select(s => SchoolView.Of(s)).ToListAsync(ct);
    }

    [HttpPost("programmes/{programmeId:long}/schools")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    [ProducesResponseType(typeof(SchoolView), 201)]
    public async Task<ActionResult<SchoolView>> AddSchool(long programmeId, Schools.NewSchool request, CancellationToken ct)
    {
        var school = await Schools.AddAsync(db, audit, Caller, programmeId, request, ct);
        return Created($"/api/v1/schools/{school.Id}", SchoolView.Of(school));
    }

    /// <summary>
    /// Enrols schools from a "Get Information About Schools" CSV, sent as the body (text/csv) or
    /// as the form field "file". Bad rows come back by line and reason; good rows are enrolled.
    /// </summary>
    [HttpPost("programmes/{programmeId:long}/schools/import")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    [RequestSizeLimit(ImportSchools.MostBytes)]
    [Consumes("text/csv", "multipart/form-data")]
    public async Task<ImportSchools.Report> Import(long programmeId, [FromQuery] long? areaId, CancellationToken ct)
        => await ImportSchools.RunAsync(db, audit, Caller, programmeId, areaId, await UploadedCsvAsync(ct), ct);

    [HttpGet("schools/{schoolId:long}")]
    public async Task<SchoolView> GetSchool(long schoolId, CancellationToken ct) =>
        SchoolView.Of(await Schools.FindVisibleAsync(db, Caller, schoolId, ct));

    /// <summary>
    /// The payments to a school, newest first: each run's payment to it once the run's file has gone to the finance system, with
    /// the amount and the remittance reference its bank statement shows, the claims it pays, and whether it is confirmed paid
    /// (and on which day) or failed; page with ?before={last id} until a page has fewer than limit.
    /// </summary>
    /// <param name="before">the id of the last payment of the previous page</param>
    /// <param name="limit">payments per page, 1 to 1000 (default 100)</param>
    [HttpGet("schools/{schoolId:long}/payments")]
    public Task<IReadOnlyList<Payments.SchoolPaymentView>> SchoolPaymentsList(long schoolId, [FromQuery] long? before,
        [FromQuery, Limit(typeof(ProgrammesController), nameof(SchoolPaymentsPage))] int? limit, CancellationToken ct) =>
        Payments.SchoolPayments.ListAsync(db, Caller, schoolId, before, SchoolPaymentsPage.Of(limit), ct);

    public static readonly PageSize SchoolPaymentsPage = new(1000, 100);

    /// <summary>Corrects the school's name or phase of education (its URN and area stay).</summary>
    /// <remarks>
    /// Checked as when a school is added; a field left out stays as it is. Two schools of a programme may share a name, as when
    /// they are added. The ledger's accounts of the school are named after it ("Hill Primary: Staff cover available 2026-27"):
    /// their names follow the new one; their codes and amounts stay. Audited as school.changed with the old values and the new.
    /// </remarks>
    [HttpPatch("schools/{schoolId:long}")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    public async Task<SchoolView> ChangeSchool(long schoolId, Corrections.SchoolChange request, CancellationToken ct) =>
        SchoolView.Of(await Corrections.ChangeSchoolAsync(db, audit, Caller, schoolId, request, ct));

    /// <summary>
    /// Sets or changes the school's payee reference (its supplier account in the funder's finance system). Payment files
    /// exported from now on carry it, including those of runs already built or approved; an exported file stays as it left.
    /// </summary>
    [HttpPut("schools/{schoolId:long}/payee-reference")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    public async Task<SchoolView> SetPayeeReference(long schoolId, PayeeReferences.Change request, CancellationToken ct) =>
        SchoolView.Of(await PayeeReferences.SetAsync(db, audit, Caller, schoolId, request, ct));
}
