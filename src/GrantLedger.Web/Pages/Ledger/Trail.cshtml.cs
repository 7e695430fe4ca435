using System.Globalization;
using System.Text.Json;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace GrantLedger.Web.Pages.Ledger;

/// <summary>
/// The audit trail (/api/v1/audit/events) for a person: by user, record, action and UK days, in the order written or newest first, a page at
/// a time by id as the API pages, and the same rows as the API's CSV. Programme-scoped staff see their programme's events.
/// </summary>
[Authorize(Roles = Roles.Staff)]
public sealed class TrailModel(GrantLedgerDb db, AuditTrail audit, NpgsqlDataSource dataSource) : GovPage(db, audit)
{
    /// <summary>The filters a person sets; the next page's link adds <c>after</c> (<c>before</c> newest first) to them, the CSV's <c>handler</c>.</summary>
    private static readonly string[] Filters =
        ["programmeId", "userId", "recordType", "recordId", "action", "from-day", "from-month", "from-year", "to-day", "to-month", "to-year", "order", "limit"];

    public AuditReads.EventPage? Events { get; private set; }
    public List<(string, string)> ProgrammeOptions { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (await QueryAsync(ct) is not { } query) return;
        try
        {
            Events = await AuditReads.EventsAsync(dataSource, Caller, query, all: false, ct);
        }
        catch (InvalidInput refused) // a page of more than 1,000, or an order it does not know, as the API refuses them
        {
            Refused(refused);
        }
    }

    /// <summary>Every event the filters find, as the API's CSV has them (its header, its rows, each cell formula-safe).</summary>
    public async Task<IActionResult> OnGetCsvAsync(CancellationToken ct)
    {
        if (await QueryAsync(ct) is not { } query) return Page();
        try
        {
            var events = await AuditReads.EventsAsync(dataSource, Caller, query, all: true, ct);
            return CsvAnswer.Of("audit-events.csv", AuditReads.EventCsvHeader, events.Items, AuditReads.EventCsvRow).ForSpreadsheets();
        }
        catch (InvalidInput refused) // an order it does not know, as the API refuses it
        {
            Refused(refused);
            return Page();
        }
    }

    /// <summary>The API's query from the page's filters, or null (with the errors shown) when one cannot be read.</summary>
    private async Task<AuditReads.EventQuery?> QueryAsync(CancellationToken ct)
    {
        if (Caller.SeesAllProgrammes)
            ProgrammeOptions = (await ProgrammesAsync(ct)).Select(p => (p.Id.ToString(CultureInfo.InvariantCulture), p.Name)).Prepend(("", "All programmes")).ToList();
        var query = new AuditReads.EventQuery
        {
            ProgrammeId = Caller.SeesAllProgrammes ? ReadNumber("programmeId", "The programme") : null,
            UserId = ReadNumber("userId", "The user ID"),
            RecordType = Filled("recordType"),
            RecordId = ReadNumber("recordId", "The record ID"),
            Action = Filled("action"),
            After = ReadNumber("after", "The page"),
            Before = ReadNumber("before", "The page"),
            Order = Filled("order"),
            Limit = ReadNumber("limit", "The number of events a page") is { } limit ? (int)Math.Min(limit, int.MaxValue) : null,
        };
        var from = ReadDate("from", "the first day", required: false);
        var to = ReadDate("to", "the last day", required: false);
        if (HasErrors) return null;
        try
        {
            AuditReads.ReadRange(query, Day(from), Day(to));
        }
        catch (InvalidInput refused)
        {
            Refused(refused);
            return null;
        }
        return query;
    }

    /// <summary>The API's refusals of a query in the page's words, on the fields they name.</summary>
    private void Refused(InvalidInput refused)
    {
        foreach (var (field, messages) in refused.Errors)
            foreach (var message in messages)
                AddError(field, field switch
                {
                    "recordType" => $"Select a record type from the list: the audit trail records no {Typed("recordType")}",
                    "action" => $"Select an action from the list: the audit trail records no {Typed("action")}",
                    "to" => "The last day must be the same as or after the first day",
                    "limit" => "The number of events a page must be between 1 and 1,000",
                    "order" => "Choose the order: as written, or newest first",
                    _ => Sentence(field, message),
                });
    }

    private static string? Day(DateOnly? day) => day is { } d ? Core.Ledger.IsoDate.Of(d) : null;

    /// <summary>
    /// This page's address with the filters as given, some set (a user's events: userId) or added (the next page's after,
    /// the CSV's handler, first); no after unless given, so the CSV and the first page start at the beginning.
    /// </summary>
    public string Href(params (string Key, string? Value)[] set) => SearchHref("/ledger/trail", Filters, set);

    /// <summary>Newest first: the next page is the events before the last one shown.</summary>
    public bool Newest => Filled("order") == "newest";

    /// <summary>A page after the first: the events after (or, newest first, before) the previous page's last.</summary>
    public bool Paged => Typed("after").Length > 0 || Typed("before").Length > 0;

    /// <summary>Every record type the trail records, as people name it, with the name the API and the CSV give it.</summary>
    public static readonly IReadOnlyList<(string Value, string Text)> RecordTypeOptions =
        AuditAction.RecordTypes.Select(t => (t, $"{Gov.Record(t, null)} ({t})")).ToList();

    /// <summary>
    /// Every action, grouped by the record type it is written with (in the order of <see cref="RecordTypeOptions"/>), each group
    /// led by the choice of every action of a record part ("Every claim action", claim.) that its type has most of.
    /// </summary>
    public static readonly IReadOnlyList<(string Label, IEnumerable<(string Value, string Text)> Options)> ActionOptions = ActionGroups();

    private static List<(string, IEnumerable<(string, string)>)> ActionGroups()
    {
        var home = AuditAction.Prefixes.ToDictionary(prefix => prefix, prefix => AuditAction.All.Where(a => a.Prefix == prefix)
            .GroupBy(a => a.RecordType).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key);
        return AuditAction.RecordTypes.Select(type => (Gov.Record(type, null), (IEnumerable<(string, string)>)
                AuditAction.Prefixes.Where(p => home[p] == type).Select(p => (p, $"Every {p.TrimEnd('.').Replace('-', ' ')} action ({p})"))
                    .Concat(AuditAction.All.Where(a => a.RecordType == type).Select(a => a.Name).Order(StringComparer.Ordinal).Select(a => (a, a)))
                    .ToList()))
            .ToList();
    }

    /// <summary>Where a record has a page of its own: a claim's history, a payment run.</summary>
    public static string? RecordHref(AuditReads.Event e) => Gov.RecordHref(e.RecordType, e.RecordId);

    /// <summary>A record as people name it: "Claim CLM-000012", "Payment run PR-000003", "Virement 4" (<see cref="Gov.Record"/>).</summary>
    public static string Record(AuditReads.Event e) => Gov.Record(e.RecordType, e.RecordId);

    /// <summary>
    /// An event's details as a short list of their fields, nested ones by their path ("lines[0].amount: 200.00"), null
    /// ones left out; the text as written, for the page to encode. The rest is said as a count (the CSV has them all).
    /// </summary>
    public static (IReadOnlyList<(string Name, string Value)> Fields, int More) Details(JsonElement details, int most = 12)
    {
        var fields = new List<(string, string)>();
        void Add(string path, JsonElement v)
        {
            switch (v.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in v.EnumerateObject()) Add(path.Length == 0 ? p.Name : $"{path}.{p.Name}", p.Value);
                    break;
                case JsonValueKind.Array:
                    var i = 0;
                    foreach (var item in v.EnumerateArray()) Add($"{path}[{i++}]", item);
                    break;
                case JsonValueKind.Null or JsonValueKind.Undefined:
                    break;
                case JsonValueKind.String:
                    fields.Add((path, v.GetString()!));
                    break;
                default:
                    fields.Add((path.Length == 0 ? "value" : path, v.GetRawText()));
                    break;
            }
        }
        Add("", details);
        return (fields.Take(most).ToList(), Math.Max(0, fields.Count - most));
    }
}
