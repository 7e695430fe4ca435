using System.Globalization;
using CsvHelper;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Claims;

/// <summary>
/// Adds a draft claim's lines from a CSV, a row per line: what a school's finance system or a spreadsheet of a
/// half-term's cover exports. The columns are named as a line's fields in <c>POST …/lines</c> (kind, categoryId,
/// allowanceCategoryId, staffRef, role, activity, date, hours, days, actionId, supplier, invoiceRef, amount,
/// specialist, description), in any order and any case; only kind is required, the rest as the kind needs them. The
/// two category columns also take a category's code or name.
/// Each row is checked as that request checks a line, against the claim's lines and the rows above it (a staff
/// member's day counts them all). All or none: if any row is refused, no line is added, and the answer names every
/// refusal by the file's line and the field ("line 3, hours").
/// </summary>
public static class LineImport
{
    /// <summary>The most lines one file may hold: a half-term's cover for a large school fits with room.</summary>
    public const int MaxRows = 500;

    private static readonly string[] Columns =
        ["kind", "categoryId", "allowanceCategoryId", "staffRef", "role", "activity", "date", "hours", "days", "actionId",
         "supplier", "invoiceRef", "amount", "specialist", "description"];

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
            var errors = new FieldErrors();
            file.Position = 0;
            var rows = await ReadAsync(file, await CategoriesByNameAsync(db, c.Programme.Id, ct), errors, ct);
            var next = c.Claim.Lines.Count == 0 ? 1 : c.Claim.Lines.Max(l => l.LineNo) + 1;
            var added = new List<ClaimLine>();
            foreach (var (fileLine, input) in rows)
            {
                var line = new ClaimLine { ClaimId = claimId, Kind = "", LineNo = next };
                try
                {
                    await LineEditing.FillAsync(db, c, line, input, ct);
                }
                catch (InvalidInput e)
                {
                    foreach (var (field, messages) in e.Errors)
                        foreach (var message in messages) errors.Add(At(fileLine, field), message);
                    continue;
                }
                catch (RuleBroken e)
                {
                    errors.Add(At(fileLine, e.Field ?? "kind"), e.Message);
                    continue;
                }
                next++;
                db.Add(line);
                if (!c.Claim.Lines.Contains(line)) c.Claim.Lines.Add(line); // the rows below count it in their staff days
                added.Add(line);
            }
            errors.ThrowIfAny();
            c.Claim.UpdatedAt = DateTimeOffset.UtcNow;
            await db.SaveChangesAsync(ct);
            audit.Record("claim.lines-imported", "claim", claimId, c.Claim.ProgrammeId,
                new { count = added.Count, lines = added.Select(LineEditing.Describe) });
            await db.SaveChangesAsync(ct);
            return added;
        }, ct);
    }

    private static string At(int fileLine, string field) => $"line {fileLine}, {field}";

    /// <summary>
    /// The programme's budget categories by code and by name, any case, for the category columns: a spreadsheet names
    /// "staff-cover" or "Staff cover" more readily than an id. A name two categories share is left out (use the code).
    /// </summary>
    private static async Task<Dictionary<string, long>> CategoriesByNameAsync(GrantLedgerDb db, long programmeId, CancellationToken ct)
    {
        var categories = await db.Categories.AsNoTracking().Where(x => x.ProgrammeId == programmeId).ToListAsync(ct);
        var byName = categories.ToDictionary(x => x.Code, x => x.Id, StringComparer.OrdinalIgnoreCase);
        foreach (var named in categories.GroupBy(x => x.Name.Trim(), StringComparer.OrdinalIgnoreCase).Where(g => g.Count() == 1))
            byName.TryAdd(named.Key, named.Single().Id);
        return byName;
    }

    /// <summary>
    /// The rows as line requests, each with its line in the file. A value that is not of its field's type (a category
    /// id that is not a number, a date not written yyyy-MM-dd) goes to <paramref name="errors"/> and its row is left out;
    /// a file that cannot be read as lines at all is refused at once.
    /// </summary>
    private static async Task<List<(int Line, LineEditing.LineInput Input)>> ReadAsync(Stream csv, Dictionary<string, long> categories,
        FieldErrors errors, CancellationToken ct)
    {
        await using var parser = CsvReader.Create(csv, new CsvReaderOptions
        {
            Separator = ',', TrimWhitespace = true, TrackLineNumbers = true, MaxRecordSize = 64 * 1024,
        }, leaveOpen: true);
        await parser.ReadHeaderAsync(ct);
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

        var rows = new List<(int, LineEditing.LineInput)>();
        var read = 0;
        while (await parser.ReadAsync(ct))
        {
            var fileLine = (int)parser.LineNumber;
            if (++read > MaxRows) throw new InvalidInput("file", $"has more than {MaxRows} lines: import them in parts");
            var before = errors.Count;
            string? Text(string column) => named.TryGetValue(column, out var header) && parser.GetString(header) is { Length: > 0 } v ? v : null;
            long? ParseId(string column)
            {
                if (Text(column) is not { } v) return null;
                if (long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0) return id;
                errors.Add(At(fileLine, column), "must be a whole number, the id shown for it in GrantLedger");
                return null;
            }
            long? ParseCategory(string column)
            {
                if (Text(column) is not { } v) return null;
                if (long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0) return id;
                if (categories.TryGetValue(v, out id)) return id;
                errors.Add(At(fileLine, column), $"'{v}' is not a budget category of this programme: give its id, code or name ({string.Join(", ", categories.Keys)})");
                return null;
            }
            Quantity? ParseQuantity(string column)
            {
                if (Text(column) is not { } v) return null;
                if (Quantity.TryParse(v, out var q)) return q;
                errors.Add(At(fileLine, column), "must be a number with at most two decimal places, such as 1.5");
                return null;
            }
            DateOnly? ParseDate()
            {
                if (Text("date") is not { } v) return null;
                if (DateOnly.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
                errors.Add(At(fileLine, "date"), "must be a date written yyyy-MM-dd, such as 2026-10-05");
                return null;
            }
            Money? ParseMoney()
            {
                if (Text("amount") is not { } v) return null;
                if (Money.TryParse(v, out var m, out var error)) return m;
                errors.Add(At(fileLine, "amount"), error ?? "must be an amount in pounds with two decimal places, such as 120.00");
                return null;
            }
            var input = new LineEditing.LineInput(Text("kind"), ParseCategory("categoryId"), ParseCategory("allowanceCategoryId"), Text("staffRef"),
                Text("role"), Text("activity"), ParseDate(), ParseQuantity("hours"), ParseQuantity("days"), ParseId("actionId"),
                Text("supplier"), Text("invoiceRef"), ParseMoney(), Text("specialist"), Text("description"));
            if (errors.Count == before) rows.Add((fileLine, input)); // a row with a value of the wrong type is not checked further
        }
        if (read == 0) throw new InvalidInput("file", "has no lines below its header");
        return rows;
    }
}
