using System.Globalization;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace GrantLedger.Web.Pages.Ledger;

/// <summary>
/// The journal searched as an auditor asks it (/api/v1/audit/journal): one line per transfer, by entry, school, area, claim,
/// payment run, user, account, value dates and amounts, a page at a time by the API's cursor, and every line found as the
/// API's CSV. The pages after the first count only what was recorded when the first was read, so that lines posted
/// meanwhile neither shift a page nor repeat one.
/// </summary>
[Authorize(Roles = Roles.Staff)]
public sealed class JournalModel(GrantLedgerDb db, AuditTrail audit, NpgsqlDataSource dataSource) : ProgrammePage(db, audit)
{
    /// <summary>The filters a person sets; the next page's link adds <c>cursor</c> and <c>recordedBy</c>, the CSV's <c>handler</c>.</summary>
    private static readonly string[] Filters =
    [
        "programmeId", "entryId", "urn", "areaId", "claimId", "paymentRunId", "userId", "prefix", "from-day", "from-month", "from-year", "to-day", "to-month",
        "to-year", "unit", "amountMin", "amountMax", "recordedBy", "limit",
    ];

    public static readonly IReadOnlyList<(string Value, string Text)> Units = [("", "Money and staff time"), ("GBP", "Money (pounds)"), ("MIN", "Staff time (minutes)")];

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["amountMin"] = "The smallest amount", ["amountMax"] = "The largest amount", ["unit"] = "The unit",
    };

    public JournalSearch.Page? Lines { get; private set; }
    public List<(string, string)> AreaOptions { get; private set; } = [];

    /// <summary>The moment the first page was read: the next pages count only what was recorded by then.</summary>
    public DateTimeOffset RecordedBy { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (await QueryAsync(ct) is not { } query) return;
        try
        {
            Lines = await JournalSearch.PageAsync(dataSource, Caller, query, ct);
            Reversible = await ReversibleAsync(Lines, ct);
        }
        catch (InvalidInput refused)
        {
            Refused(refused);
        }
    }

    /// <summary>The lines that carry a "Reverse" link: for the programme admin of the programme shown, an entry's first line on the page when it is a funding, allocation or virement not yet reversed, of a year not closed at its year end.</summary>
    public IReadOnlySet<long> Reversible { get; private set; } = new HashSet<long>();

    private async Task<IReadOnlySet<long>> ReversibleAsync(JournalSearch.Page lines, CancellationToken ct)
    {
        if (Caller.Role != Roles.ProgrammeAdmin || Caller.ProgrammeId is null || Caller.ProgrammeId != ProgrammeId) return new HashSet<long>();
        var firsts = lines.Items.Where(l => GrantLedger.Web.Ledger.Reverse.Reversible(l.CauseType)).GroupBy(l => l.EntryId).Select(g => g.First()).ToList();
        var entries = firsts.Select(l => l.EntryId).ToList();
        var reversed = await Db.JournalEntries.AsNoTracking().Where(e => e.ReversesEntryId != null && entries.Contains(e.ReversesEntryId.Value))
            .Select(e => e.ReversesEntryId!.Value).ToListAsync(ct);
        var closed = await Admin.AdminMoneyPage.OfClosedYearsAsync(Db, entries, ct);
        return firsts.Where(l => !reversed.Contains(l.EntryId) && !closed.Contains(l.EntryId)).Select(l => l.TransferId).ToHashSet();
    }

    /// <summary>Every line the filters find, from the first, as the API's CSV has them.</summary>
    public async Task<IActionResult> OnGetCsvAsync(CancellationToken ct)
    {
        if (await QueryAsync(ct) is not { } query) return Page();
        try
        {
            return JournalSearch.Csv(dataSource, Caller, query, ct).ForSpreadsheets();
        }
        catch (InvalidInput refused)
        {
            Refused(refused);
            return Page();
        }
    }

    /// <summary>The API's query from the page's filters, or null (with the errors shown) when one cannot be read.</summary>
    private async Task<JournalSearch.Query?> QueryAsync(CancellationToken ct)
    {
        var programmeId = await ProgrammeAsync(ct);
        AreaOptions = await AreaChoices.OfProgrammeAsync(Db, programmeId, ct, all: "All areas");
        await LoadAccountExampleAsync(programmeId, ct);
        var unit = ReadChoice("unit", Units.Select(u => u.Value), "Select the unit from the list");
        var query = new JournalSearch.Query
        {
            ProgrammeId = programmeId,
            AreaId = ReadId("areaId"),
            EntryId = ReadNumber("entryId", "The entry number"),
            ClaimId = ReadReference("claimId", "The claim", GrantLedger.Web.Claims.ClaimAccess.ReferencePrefix),
            PaymentRunId = ReadReference("paymentRunId", "The payment run", GrantLedger.Web.Payments.PaymentRuns.ReferencePrefix),
            UserId = ReadNumber("userId", "The user ID"),
            AccountPrefix = Filled("prefix"),
            From = ReadDate("from", "the first value date", required: false),
            To = ReadDate("to", "the last value date", required: false),
            Unit = unit is { Length: > 0 } ? unit : null,
            AmountMin = Amount("amountMin", "the smallest amount", unit),
            AmountMax = Amount("amountMax", "the largest amount", unit),
            Cursor = Filled("cursor"),
            Limit = ReadNumber("limit", "The number of lines a page") is { } limit ? (int)Math.Min(limit, int.MaxValue) : null,
        };
        if (Filled("urn") is { } urn)
        {
            query.SchoolId = await Db.Schools.AsNoTracking().Where(s => s.ProgrammeId == programmeId && s.Urn == urn).Select(s => (long?)s.Id).SingleOrDefaultAsync(ct);
            if (query.SchoolId is null) AddError("urn", $"No school of this programme has the URN {urn}");
        }
        RecordedBy = DateTimeOffset.UtcNow;
        if (Filled("recordedBy") is { } recordedBy)
        {
            if (DateTimeOffset.TryParseExact(recordedBy, "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var by)) RecordedBy = by;
            else AddError("recordedBy", OutOfDate);
        }
        query.RecordedBy = RecordedBy;
        return HasErrors ? null : query;
    }

    private const string OutOfDate = "This page's link is out of date: show the lines again from the first page";

    /// <summary>An amount typed as finance types it ("1,234.50"), given to the API as it reads it ("1234.50"); minutes as whole minutes.</summary>
    private string? Amount(string field, string label, string? unit)
    {
        if (unit == "MIN")
        {
            if (Filled(field) is not { } minutes) return null;
            if (long.TryParse(minutes, NumberStyles.None, CultureInfo.InvariantCulture, out _)) return minutes;
            AddError(field, $"{char.ToUpperInvariant(label[0])}{label[1..]} must be whole minutes, like 450");
            return null;
        }
        return ReadMoney(field, label, required: false)?.ToDecimalString();
    }

    /// <summary>The API's refusals of a query in the page's words, on the fields they name.</summary>
    private void Refused(InvalidInput refused)
    {
        foreach (var (field, messages) in refused.Errors)
            foreach (var message in messages)
                AddError(field, field switch
                {
                    "to" => "The last value date must be the same as or after the first",
                    "amountMax" => "The largest amount must not be less than the smallest",
                    "limit" => "The number of lines a page must be between 1 and 1,000",
                    "cursor" => OutOfDate,
                    _ => Sentence(field, message),
                });
    }

    /// <summary>This page's address with the filters as given, some set or added (the next page's cursor, the CSV's handler).</summary>
    public string Href(params (string Key, string? Value)[] set) => SearchHref("/ledger/journal", Filters, set);

    /// <summary>The next page: after the last line shown, counting only what was recorded when the first page was read.</summary>
    public string NextHref(string cursor) =>
        Href(("cursor", cursor), ("recordedBy", RecordedBy.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)));

    /// <summary>A page after the first.</summary>
    public bool Paged => Typed("cursor").Length > 0;

    /// <summary>Why an entry was posted, as people name it, and where it has a page of its own (a claim's history, a payment run).</summary>
    public static (string Text, string? Href) Cause(JournalSearch.Line l) => (Gov.Record(l.CauseType, l.CauseId), Gov.RecordHref(l.CauseType, l.CauseId));

    /// <summary>What a transfer did, in words: posted, or the two phases of a claim's hold.</summary>
    public static string Kind(string kind) => kind switch
    {
        "pending" => "Held",
        "post_pending" => "Hold posted",
        "void_pending" => "Hold released",
        _ => "Posted",
    };

    /// <summary>An account's own page: the accounts list narrowed to its code.</summary>
    /// <summary>One entry's lines: where a reversal's line leads to the entry it reverses, and the admin's done pages lead.</summary>
    public static string EntryHref(long programmeId, long entryId) => $"/ledger/journal?programmeId={programmeId}&entryId={entryId}";

    public string AccountHref(string code) => $"/ledger?programmeId={ProgrammeId}&prefix={Uri.EscapeDataString(code)}";

    public static string ValueDate(DateOnly d) => d.ToString("d MMM yyyy", CultureInfo.InvariantCulture);

    public static string Recorded(DateTimeOffset at) => UkTime.Of(at).ToString("d MMM yyyy HH:mm", CultureInfo.InvariantCulture);
}
