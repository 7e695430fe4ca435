using GrantLedger.Core.Ledger;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Allocations;

/// <summary>Funding a programme year, allocating it to schools, and virements. Each is a ledger entry.</summary>
/// <remarks>Programme admins write; finance and auditors read the allocations too.</remarks>
[Authorize(Roles = Roles.Staff)]
public sealed class AllocationsController(GrantLedgerDb db, AuditTrail audit) : ApiControllerBase
{
    private const string Year = "programmes/{programmeId:long}/years/{yearId:long}";

    /// <summary>Records funding for the year (funding → unallocated).</summary>
    [HttpPost(Year + "/funding")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    [ProducesResponseType(typeof(Fund.View), 201)]
    [ProducesResponseType(typeof(ProblemDetails), 422)]
    public async Task<ActionResult<Fund.View>> Fund(long programmeId, long yearId, Fund.Request request, CancellationToken ct)
    {
        var view = await Allocations.Fund.HandleAsync(db, audit, Caller, programmeId, yearId, request, ct);
        return Created($"/api/v1/journal-entries/{view.EntryId}", view);
    }

    /// <summary>
    /// Allocates to schools: explicit "lines", one total to "split" (largest remainder), or the
    /// same amount to "each" chosen school. Refused with 422, saying by how much, beyond what is
    /// unallocated.
    /// </summary>
    [HttpPost(Year + "/allocations")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    [RequestSizeLimit(50_000_000)]
    [ProducesResponseType(typeof(Allocate.View), 201)]
    [ProducesResponseType(typeof(ProblemDetails), 422)]
    public async Task<ActionResult<Allocate.View>> Allocate(long programmeId, long yearId, Allocate.Request request, CancellationToken ct)
    {
        var view = await Allocations.Allocate.HandleAsync(db, audit, Caller, programmeId, yearId, request, ct);
        return Created($"/api/v1/journal-entries/{view.EntryId}", view);
    }

    /// <summary>
    /// The year's allocations, oldest first, each with its journal entry, value date and totals per unit, and the entry that reversed
    /// it if one did: all of them, or a page of limit at a time with ?after={the last id} until a page has fewer.
    /// </summary>
    /// <param name="after">the id of the last allocation of the previous page</param>
    /// <param name="limit">allocations per page, 1 to 5000 (without it, every allocation)</param>
    [HttpGet(Year + "/allocations")]
    public Task<IReadOnlyList<AllocationItem>> ListAllocations(long programmeId, long yearId, [FromQuery] long? after, [FromQuery, Limit(typeof(AllocationsController), nameof(AllocationsPage))] int? limit,
        CancellationToken ct) =>
        AllocationList.ForYearAsync(db, Caller, programmeId, yearId, after, AllocationsPage.Of(limit), ct);

    public static readonly WholeUnlessLimited AllocationsPage = new(5000);

    /// <param name="ReversedByEntryId">the journal entry that reversed the allocation, if one did: it no longer stands</param>
    public sealed record AllocationItem(long Id, long YearId, string Method, string Description, int LineCount, long? CreatedBy,
        DateTimeOffset CreatedAt, long EntryId, DateOnly ValueDate, IReadOnlyList<Allocate.Total> Totals, long? ReversedByEntryId);

    /// <summary>Moves allocated budget between categories or schools (available → available).</summary>
    [HttpPost(Year + "/virements")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    [ProducesResponseType(typeof(Vire.View), 201)]
    [ProducesResponseType(typeof(ProblemDetails), 422)]
    public async Task<ActionResult<Vire.View>> Virement(long programmeId, long yearId, Vire.Request request, CancellationToken ct)
    {
        var view = await Vire.HandleAsync(db, audit, Caller, programmeId, yearId, request, ct);
        return Created($"/api/v1/journal-entries/{view.EntryId}", view);
    }
}
