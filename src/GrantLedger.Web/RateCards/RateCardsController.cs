using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.RateCards;

/// <summary>The programme's rate card: effective-dated rates that price claim lines. Append-only.</summary>
[Authorize(Roles = Roles.Everyone)]
public sealed class RateCardsController(GrantLedgerDb db, AuditTrail audit) : ApiControllerBase
{
    /// <summary>Every rate, each with the dates it applies between; inForce says which apply on ?on= (today by default).</summary>
    [HttpGet("programmes/{programmeId:long}/rates")]
    public Task<IReadOnlyList<RateView>> Card(long programmeId, [FromQuery] DateOnly? on, CancellationToken ct) =>
        RateCards.CardAsync(db, Caller, programmeId, on ?? UkTime.Today, ct);

    /// <summary>
    /// Adds a rate that takes effect from its date (the programme admin). A line is priced by the rate in force on its date: the
    /// draft claims' lines of its code dated on or after its date are repriced by it at once (unless a later rate prices them),
    /// and a submission prices its lines by the rates in force then. Submitted, approved and paid claims keep the price they
    /// were submitted at.
    /// </summary>
    [HttpPost("programmes/{programmeId:long}/rates")]
    [Authorize(Roles = Roles.ProgrammeAdmin)]
    [ProducesResponseType(typeof(RateView), 201)]
    public async Task<ActionResult<RateView>> Add(long programmeId, RateCards.NewRate request, CancellationToken ct)
    {
        var rate = await RateCards.AddAsync(db, audit, Caller, programmeId, request, ct);
        var view = (await RateCards.CardAsync(db, Caller, programmeId, UkTime.Today, ct)).Single(v => v.Id == rate.Id);
        return Created($"/api/v1/rates/{rate.Id}", view);
    }

    /// <summary>One rate of the card, with the dates it applies between and whether it is in force today: where adding it answers it (Location).</summary>
    [HttpGet("rates/{rateId:long}")]
    public async Task<RateView> GetRate(long rateId, CancellationToken ct)
    {
        var programmeId = await db.Set<Rate>().Where(r => r.Id == rateId).Select(r => (long?)r.ProgrammeId).SingleOrDefaultAsync(ct)
                          ?? throw new NotFound("rate", rateId);
        return (await RateCards.CardAsync(db, Caller, programmeId, UkTime.Today, ct)).Single(v => v.Id == rateId);
    }
}
