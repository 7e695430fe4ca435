using System.Text.RegularExpressions;
using GrantLedger.Core.Rules;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Claims;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Pages.Review;

/// <summary>Approves a claim in full, or with a reduced ("sanctioned") amount on some lines, each with its reason.</summary>
[Authorize(Roles = Roles.AreaLead)]
public sealed partial class ApproveModel(GrantLedgerDb db, AuditTrail audit) : GovPage(db, audit)
{
    /// <summary>The amounts shown are the claim's: none comes from the address (<see cref="GovPage.FillsFromTheAddress"/>).</summary>
    protected override bool FillsFromTheAddress => false;

    public ClaimView View { get; private set; } = null!;

    /// <summary>Each line's fields, named in its refusals ("The reason for line 2 must be at most 1,000 characters").</summary>
    protected override IReadOnlyDictionary<string, string> Labels =>
        View.Lines.SelectMany(l => new[] { ($"amount-{l.Id}", $"The amount to approve for line {l.LineNo}"), ($"reason-{l.Id}", $"The reason for line {l.LineNo}") })
            .ToDictionary(f => f.Item1, f => f.Item2);

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        return View.AllowedActions.Contains("approve") ? Page() : Redirect($"/review/claims/{id}{ReviewClaimModel.Keep(Request)}");
    }

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        View = await ClaimReads.DetailAsync(Db, Caller, id, ct);
        var sanctions = new List<Transitions.Sanction>();
        foreach (var l in View.Lines)
        {
            var amount = ReadMoney($"amount-{l.Id}", $"the amount to approve for line {l.LineNo}");
            var reason = Typed($"reason-{l.Id}").Trim();
            // GOV.UK's "Enter …", not the API's "give the reason …" (the use case's refusal of the same field is then left out)
            if (amount is { } less && less < l.Amount && reason.Length == 0)
                AddError($"reason-{l.Id}", $"Enter the reason for approving less than was claimed on line {l.LineNo}");
            if (amount is { } a && (a != l.Amount || reason.Length > 0)) sanctions.Add(new(l.Id, a, reason.Length > 0 ? reason : null));
            // the reason of an amount it could not read is checked here (its length, its characters), told with the amount's
            // error: sent to the use case without its amount, it would be a reason for a line approved in full
            else if (amount is null && FreeText.Problem(reason, Transitions.MostReason / 2, required: false, manyLines: true) is { } problem)
                AddError($"reason-{l.Id}", Sentence($"reason-{l.Id}", problem));
        }
        string Field(string f)
        {
            var m = SanctionField().Match(f);
            if (!m.Success || int.Parse(m.Groups[1].Value) >= sanctions.Count) return f;
            return $"{m.Groups[2].Value}-{sanctions[int.Parse(m.Groups[1].Value)].LineId}";
        }
        if (await AttemptAsync(() => Transitions.FireAsync(Db, Audit, Caller, id, ClaimTrigger.Approve, new(null, null, sanctions), null, ct), Field))
            return Redirect($"/review/claims/{id}/done{ReviewClaimModel.Keep(Request)}");
        return Page();
    }

    [GeneratedRegex(@"^lines\[(\d+)\]\.(amount|reason)$")] private static partial Regex SanctionField();
}
