using System.Globalization;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;

namespace GrantLedger.Web.Claims;

/// <summary>
/// Adds a draft claim's lines from a CSV, a row per line: what a school's finance system or a spreadsheet of a
/// half-term's cover exports. The columns are named as a line's fields in <c>POST …/lines</c> (kind, categoryId,
/// allowanceCategoryId, staffRef, role, activity, date, hours, days, actionId, supplier, invoiceRef, amount,
/// specialist, description), in any order and any case; only kind is required, the rest as the kind needs them, and a
/// cell left empty is none: a value in a column the row's kind does not take is refused, as the request refuses it. The
/// two category columns also take a category's code or name, and an action can be given as actionRef, its number in
/// the school's agreed plan: that number stays when the plan is revised, where the action's id changes with each
/// version.
/// Each row is checked as that request checks a line, against the claim's lines and the rows above it (a staff
/// member's day counts them all). All or none: if any row is refused, no line is added, and the answer names every
/// refusal by the file's line and the field ("line 3, hours"), in a sentence that says so too ("Line 3: the hours must be …",
/// <see cref="RowMessages"/>).
/// </summary>
public static partial class LineImport
{
    /// <summary>The most lines one file may hold: a half-term's cover for a large school fits with room.</summary>
    public const int MaxRows = 500;

    private static readonly string[] Columns =
        ["kind", "categoryId", "allowanceCategoryId", "staffRef", "role", "activity", "date", "hours", "days", "actionId",
         "actionRef", "supplier", "invoiceRef", "amount", "specialist", "description"];

    /// <returns>the lines added, in the file's order</returns>
    public static async Task<IReadOnlyList<ClaimLine>> RunAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long claimId,
        Stream csv, string? ifMatch, CancellationToken ct)
    {
        // read whole before the claim is locked (at most the request's size limit), and parsed only once the caller
        // is known to reach the claim: someone else's claim answers 403 or 404 whatever the file holds
        using var file = new MemoryStream();
        await csv.CopyToAsync(file, ct);
        return await db.InTransactionAsync(async () =>
        {
            var c = await ClaimAccess.LockDraftAsync(db, caller, claimId, ifMatch, ct);
            Drafting.EnsureOpen(c, "no line can be added to its claims");
            var errors = new FieldErrors();
            var lookups = new LineEditing.Lookups(db, c); // read once for every row
            var (rows, actionColumn) = await ReadAsync(file.ToArray(), lookups, errors, ct);
            // a line's refusals are named by the file's own columns: an action given by its number is refused as actionRef
            string Column(string field) => field == "actionId" ? actionColumn : field;
            var next = c.Claim.Lines.Count == 0 ? 1 : c.Claim.Lines.Max(l => l.LineNo) + 1;
            var added = new List<ClaimLine>();
            foreach (var (fileLine, input, unread) in rows)
            {
                var line = new ClaimLine { ClaimId = claimId, Kind = "", LineNo = next };
                // a value that could not be read is already refused; the row's other fields are checked all the same,
                // so that every problem of the file is told at once, but not the unread field again as one left out
                // hours and days are one answer given either way: one unread is not also "give hours or days" left out
                void Refuse(string field, string message)
                {
                    if (unread.Contains(Column(field)) || field is "hours" or "days" && (unread.Contains("hours") || unread.Contains("days"))) return;
                    Add(errors, fileLine, Column(field), message);
                }
                try
                {
                    await LineEditing.FillAsync(db, c, line, input, lookups, ct);
                }
                catch (InvalidInput e)
                {
                    foreach (var (field, messages) in e.Errors)
                        foreach (var message in messages) Refuse(field, message);
                    continue;
                }
                catch (RuleBroken e)
                {
                    Refuse(e.Field ?? "kind", e.Message);
                    continue;
                }
                if (unread.Count > 0) continue;
                next++;
                db.Add(line);
                if (!c.Claim.Lines.Contains(line)) c.Claim.Lines.Add(line); // the rows below count it in their staff days
                added.Add(line);
            }
            errors.ThrowIfAny(field => int.Parse(LineOf().Match(field).Groups[1].Value)); // in the file's order, whichever check found them
            c.Claim.UpdatedAt = await db.NowAsync(ct);
            await db.SaveChangesAsync(ct);
            audit.Record(AuditAction.ClaimLinesImported, claimId, c.Claim.ProgrammeId,
                new { count = added.Count, lines = added.Select(LineEditing.Describe) });
            await db.SaveChangesAsync(ct);
            return added;
        }, ct);
    }

    private static string At(int fileLine, string field) => $"line {fileLine}, {field}";

    /// <summary>A row's field refused: named "line 3, supplier", saying "Line 3: enter the supplier".</summary>
    private static void Add(FieldErrors errors, int fileLine, string column, string message) =>
        errors.Add(At(fileLine, column), RowMessages.At(fileLine, RowMessages.Says(column, message)));

    [System.Text.RegularExpressions.GeneratedRegex(@"^line (\d+)")] private static partial System.Text.RegularExpressions.Regex LineOf();

    /// <summary>
    /// The programme's budget categories by code and by name, any case, for the category columns: a spreadsheet names
    /// "staff-cover" or "Staff cover" more readily than an id. A name two categories share is left out (use the code).
    /// </summary>
    internal static Dictionary<string, long> ByCodeOrName(IEnumerable<BudgetCategory> categories)
    {
        var byName = categories.ToDictionary(x => x.Code, x => x.Id, StringComparer.OrdinalIgnoreCase);
        foreach (var named in categories.GroupBy(x => x.Name.Trim(), StringComparer.OrdinalIgnoreCase).Where(g => g.Count() == 1))
            byName.TryAdd(named.Key, named.Single().Id);
        return byName;
    }

    /// <summary>
    /// The rows as line requests, each with its line in the file. A value that is not of its field's type (a category
    /// id that is not a number, a date not written 2026-10-05 or 05/10/2026, an action number the agreed plan does not have) goes to
    /// <paramref name="errors"/>, and its column is returned with the row, whose other fields are still checked; a row
    /// that is not a row of the header (more or fewer fields, a quote not closed) goes to the errors by its line alone;
    /// a file that cannot be read as lines at all is refused at once.
    /// </summary>
    /// <returns>the rows, and the column that names their actions (actionId unless the file has actionRef)</returns>
    private static async Task<(List<(int Line, LineEditing.LineInput Input, HashSet<string> Unread)> Rows, string ActionColumn)> ReadAsync(byte[] csv,
        LineEditing.Lookups lookups, FieldErrors errors, CancellationToken ct)
    {
        await using var parser = CsvFiles.Open(csv, 64 * 1024);
        await CsvFiles.ReadHeaderAsync(parser, ct);
        if (parser.Headers.Count == 0)
            throw new InvalidInput("file", "is empty: expected a header row naming the columns, such as kind,categoryId,staffRef,role,activity,date,days");
        var named = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase); // column -> the file's own spelling
        foreach (var header in parser.Headers)
        {
            var column = Columns.FirstOrDefault(c => c.Equals(header, StringComparison.OrdinalIgnoreCase));
            if (column is null)
                throw new InvalidInput("file", $"has a column this import does not know, '{header}': the columns are {string.Join(", ", Columns)}");
            if (!named.TryAdd(column, header)) throw new InvalidInput("file", $"names the column '{column}' twice");
        }
        if (!named.ContainsKey("kind")) throw new InvalidInput("file", "has no 'kind' column: every line needs its kind");
        if (named.ContainsKey("actionId") && named.ContainsKey("actionRef"))
            throw new InvalidInput("file", "has both 'actionId' and 'actionRef': name each line's action by one of them");
        var categories = ByCodeOrName((await lookups.CategoriesAsync(ct)).Values);
        // the agreed plan's action ids by their number, read only for a file that names actions so; null when there is no plan
        var actions = named.ContainsKey("actionRef") && await lookups.PlanAsync(ct) is { } plan ? plan.Actions.ToDictionary(a => a.ActionRef, a => a.Id) : null;

        var rows = new List<(int, LineEditing.LineInput, HashSet<string>)>();
        var read = 0;
        while (await CsvFiles.ReadAsync(parser, ct))
        {
            var fileLine = (int)parser.LineNumber;
            if (++read > MaxRows) throw new InvalidInput("file", $"has more than {MaxRows} lines: import them in parts");
            if (CsvFiles.RowProblem(parser) is { } problem)
            {
                errors.Add($"line {fileLine}", RowMessages.At(fileLine, problem)); // its fields cannot be told apart: none is checked
                continue;
            }
            var unread = new HashSet<string>(); // the columns whose values are not of their field's type
            string? Text(string column) => named.TryGetValue(column, out var header) && parser.GetString(header) is { Length: > 0 } v ? v : null;
            T? Value<T>(string column, Func<string, T?> parse, Func<string, string> error) where T : struct
            {
                if (Text(column) is not { } v) return null;
                if (parse(v) is { } value) return value;
                Add(errors, fileLine, column, error(v));
                unread.Add(column);
                return null;
            }
            long? Category(string column) => Value<long>(column, v => Id(v) ?? (categories.TryGetValue(v, out var id) ? id : null),
                v => $"'{v}' is not a budget category of this programme: give its id, code or name ({string.Join(", ", categories.Keys)})");
            Quantity? Time(string column) => Value<Quantity>(column, v => Quantity.TryParse(v, out var q) ? q : null,
                _ => "must be a number with at most two decimal places, such as 1.5");
            var input = new LineEditing.LineInput(Text("kind"), Category("categoryId"), Category("allowanceCategoryId"), Text("staffRef"),
                Text("role"), Text("activity"),
                Value<DateOnly>("date", v => CsvFiles.TryDate(v, out var d) ? d : null, _ => $"must be {CsvFiles.DateWanted}"),
                Time("hours"), Time("days"),
                Value<long>("actionId", Id, _ => "must be a whole number, the id shown for it in GrantLedger")
                ?? Value<long>("actionRef", v => Id(v) is { } number && number <= int.MaxValue && actions is not null && actions.TryGetValue((int)number, out var id) ? id : null,
                    v => actions is null
                        ? "the school has no agreed action plan for the claim's year: action-plan spending needs one"
                        : $"'{v}' is not the number of an action in the school's agreed plan: its actions are {string.Join(", ", actions.Keys.Order())}"),
                Text("supplier"), Text("invoiceRef"),
                Value<Money>("amount", v => Money.TryParse(v, out var m, out _, allowGrouping: true) ? m : null, // "£1,234.50", as a spreadsheet shows it
                    v => Money.TryParse(v, out _, out var error, allowGrouping: true) ? "" : RowMessages.Amount(error)),
                Text("specialist"), Text("description"));
            rows.Add((fileLine, input, unread));
        }
        if (read == 0) throw new InvalidInput("file", "has no lines below its header");
        return (rows, named.ContainsKey("actionRef") ? "actionRef" : "actionId");
    }

    private static long? Id(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;
}
