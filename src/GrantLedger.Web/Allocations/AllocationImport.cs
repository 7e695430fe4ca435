using System.Globalization;
using System.Text;
using GrantLedger.Core.Money;
using GrantLedger.Core.Rules;
using GrantLedger.Web.Access;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Pages;
using GrantLedger.Web.Programmes;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Allocations;

/// <summary>
/// Allocates per-school amounts from a CSV, a row per school and category (columns URN, category, amount, in any order
/// and any case): the rows become the <c>lines</c> of one allocation, posted by <see cref="Allocate"/> as the API's
/// <c>lines</c> are, one journal entry. A category is named by its code, its name or its id; an amount is in pounds for a
/// money category and in days of 7.5 hours for a staff-time one. All or none: every problem is named by the file's line
/// and column ("Line 3: the amount must be more than zero"), those <see cref="Allocate"/> finds (a school not in the
/// programme, a school and category given twice, more than is unallocated) as well as those of reading the file, and
/// nothing is posted until the whole file is right.
/// </summary>
public static class AllocationImport
{
    /// <summary>The most rows a file may hold: every school of PINS's 1,680 in each of its categories, with room.</summary>
    public const int MaxRows = 20_000;

    /// <summary>The largest file the page takes (20,000 rows of a URN, a category's name and an amount fit with room).</summary>
    public const int MostBytes = 2_000_000;

    public static readonly string[] Columns = ["URN", "category", "amount"];

    /// <summary>An example file, as the page shows it and offers it to download.</summary>
    public const string Example = "URN,category,amount\r\n100123,staff-cover,\"1,250.00\"\r\n100123,contact-time,4.5\r\n100456,staff-cover,980.50\r\n";

    /// <summary>The file's rows read as an allocation's lines, and each line's row in the file.</summary>
    public sealed record Rows(List<Allocate.Line> Lines, List<int> FileLines);

    /// <summary>Checks the file and allocates its rows as one allocation, or names every problem; nothing is posted unless all are right.</summary>
    public static Task<Allocate.View> RunAsync(GrantLedgerDb db, AuditTrail audit, CurrentUser caller, long programmeId, long yearId,
        byte[] csv, DateOnly? valueDate, string? description, CancellationToken ct) =>
        // one transaction around both: a file with problems in some rows rolls back what its good rows posted
        db.InTransactionAsync(async () =>
        {
            var errors = new FieldErrors();
            var categories = await db.CategoriesOf(programmeId).ToListAsync(ct);
            var rows = await ReadAsync(csv, categories, errors, ct);
            Allocate.View? view = null;
            try
            {
                view = await Allocate.HandleAsync(db, audit, caller, programmeId, yearId, new Allocate.Request(valueDate, description, rows.Lines, null, null), ct);
            }
            catch (InvalidInput e)
            {
                foreach (var (field, messages) in e.Errors)
                    foreach (var message in messages) Add(errors, field, message, rows.FileLines);
            }
            catch (RuleBroken) when (errors.Any) { } // more than is unallocated, of the rows that could be read: the file's problems come first
            errors.ThrowIfAny(Order);
            return view!;
        }, ct);

    /// <summary>A refusal of the allocation: one of a line's is named by its row and column; the others (the value date) by their field.</summary>
    private static void Add(FieldErrors errors, string field, string message, List<int> fileLines)
    {
        var match = System.Text.RegularExpressions.Regex.Match(field, @"^lines\[(\d+)\]\.(\w+)$");
        if (!match.Success)
        {
            if (field != "lines" || !errors.Any) errors.Add(field == "lines" ? "file" : field, message); // "must have at least one line": none could be read
            return;
        }
        var column = match.Groups[2].Value switch { "schoolId" or "urn" => "URN", "categoryId" => "category", _ => "amount" };
        var line = fileLines[int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)];
        Row(errors, line, column, message);
    }

    private static void Row(FieldErrors errors, int line, string column, string message) =>
        errors.Add($"line {line}, {column}", RowMessages.At(line,
            message.StartsWith("is ") || message.StartsWith("must ") || message == "is required" ? RowMessages.Says(column, message) : message));

    /// <summary>The file's own problems first, then each row's in the file's order, and a row's in the order of <see cref="Columns"/>.</summary>
    private static (int, int) Order(string field) =>
        field.StartsWith("line ") ? (int.Parse(new string(field[5..].TakeWhile(char.IsAsciiDigit).ToArray()), CultureInfo.InvariantCulture),
            Array.IndexOf(Columns, field[(field.IndexOf(',') + 2)..])) : (0, 0);

    /// <summary>
    /// The rows as lines, each with its line in the file. A row whose value cannot be read (a URN that is not six digits, a
    /// category the programme does not have, an amount that is not money, or not days, with at most two places) goes to
    /// <paramref name="errors"/> by its line and column and is left out; a file that cannot be read as rows at all is refused at once.
    /// </summary>
    public static async Task<Rows> ReadAsync(byte[] csv, IReadOnlyCollection<BudgetCategory> categories, FieldErrors errors, CancellationToken ct)
    {
        await using var parser = CsvFiles.Open(csv, 4 * 1024);
        await CsvFiles.ReadHeaderAsync(parser, ct);
        if (parser.Headers.Count == 0) throw new InvalidInput("file", $"is empty: expected a header row naming the columns, {string.Join(",", Columns)}");
        var named = new Dictionary<string, string>(); // column -> the file's own spelling
        foreach (var header in parser.Headers)
        {
            var column = Columns.FirstOrDefault(c => c.Equals(header, StringComparison.OrdinalIgnoreCase))
                         ?? throw new InvalidInput("file", $"has a column this import does not know, '{header}': the columns are {string.Join(", ", Columns)}");
            if (!named.TryAdd(column, header)) throw new InvalidInput("file", $"names the column '{column}' twice");
        }
        if (Columns.FirstOrDefault(c => !named.ContainsKey(c)) is { } missing)
            throw new InvalidInput("file", $"has no '{missing}' column: its columns must be {string.Join(", ", Columns)}");
        var byName = Claims.LineImport.ByCodeOrName(categories);
        var byId = categories.ToDictionary(c => c.Id);

        var rows = new Rows([], []);
        var read = 0;
        while (await CsvFiles.ReadAsync(parser, ct))
        {
            var line = (int)parser.LineNumber;
            if (++read > MaxRows) throw new InvalidInput("file", $"has more than {Gov.Number(MaxRows)} rows: allocate them in parts");
            if (CsvFiles.RowProblem(parser) is { } problem)
            {
                errors.Add($"line {line}", RowMessages.At(line, problem));
                continue;
            }
            var (urn, categoryText, amountText) = (parser.GetString(named["URN"]), parser.GetString(named["category"]), parser.GetString(named["amount"]));
            var ok = true;
            void Refuse(string column, string message)
            {
                Row(errors, line, column, message);
                ok = false;
            }
            if (urn.Length == 0) Refuse("URN", "is required");
            else if (!Schools.Urn().IsMatch(urn)) Refuse("URN", $"'{Clip(urn)}' is not a URN: a school's Unique Reference Number is six digits, such as 100123");
            BudgetCategory? category = null;
            if (categoryText.Length == 0) Refuse("category", "is required");
            // an id first, as the claim lines' import reads one: a category named "3" took the row meant for category 3
            else if (long.TryParse(categoryText, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || byName.TryGetValue(categoryText, out id))
                category = byId.GetValueOrDefault(id);
            if (categoryText.Length > 0 && category is null)
                Refuse("category", $"'{Clip(categoryText)}' is not a budget category of this programme: give its code, name or id ({string.Join(", ", categories.Select(c => c.Code))})");
            Money? money = null;
            long? minutes = null;
            if (amountText.Length == 0) Refuse("amount", "is required");
            else if (category?.Unit is "MIN")
            {
                if (Minutes.TryParseQuantity(amountText, TimeUnit.Days, out var m, out var error)) minutes = m.Value;
                else Refuse("amount", error!.StartsWith("must be a number") ? $"must be a number of days, such as 4.5, for {category.Name} (staff time)"
                    // the claim lines' advice to give hours instead does not hold here: an allocation is in days
                    : error.StartsWith("must come to a whole number of minutes") ? "must come to a whole number of minutes (a day is 7.5 hours, or 450 minutes): days to two places, an even number of hundredths, such as 4.5 or 0.2"
                    : error);
            }
            else if (Money.TryParse(amountText, out var pounds, out var error, allowGrouping: true)) money = pounds;
            else Refuse("amount", RowMessages.Amount(error));
            if (!ok) continue;
            rows.Lines.Add(new Allocate.Line(null, urn, category!.Id, money, minutes));
            rows.FileLines.Add(line);
        }
        if (read == 0) throw new InvalidInput("file", $"has no rows below its header: give a row for each school and category, such as 100123,staff-cover,1250.00");
        return rows;
    }

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>
    /// The lines as a file this import reads (a URN, the category's id, the amount in pounds or days): what the check page
    /// carries on to the confirming post, which reads and checks it again.
    /// </summary>
    public static string Write(IEnumerable<Allocate.Line> lines)
    {
        var text = new StringBuilder("URN,category,amount\r\n");
        foreach (var l in lines)
            text.Append(CultureInfo.InvariantCulture,
                $"{l.Urn},{l.CategoryId},{(l.Minutes is { } m ? new Core.Money.Quantity(m * 100 / Minutes.PerDay).ToString() : l.Amount!.Value.ToDecimalString())}\r\n");
        return text.ToString();
    }
}
