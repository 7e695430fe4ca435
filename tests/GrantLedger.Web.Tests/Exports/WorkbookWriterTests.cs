using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Validation;
using GrantLedger.Core.Ledger;
using GrantLedger.Web.Exports;

namespace GrantLedger.Web.Tests.Exports;

public sealed class WorkbookWriterTests
{
    private static async IAsyncEnumerable<object?[]> Rows(int count)
    {
        for (var i = 0; i < count; i++)
        {
            await Task.CompletedTask;
            yield return
            [
                $"row {i} \u0001 with a control character", (long)(i * 101 - 50), (long)i, new UnitAmount(i % 2 == 0 ? Unit.Gbp : Unit.Minutes, i),
                new DateOnly(2026, 9, 1).AddDays(i), new DateTimeOffset(2026, 11, 30, 2, 15, 0, TimeSpan.Zero), i % 2 == 0, null,
                $"label {i % 3}", i % 4 == 0 ? null : (long)i,
            ];
        }
    }

    private static readonly Column[] Columns =
    [
        new("Text", CellKind.Text), new("Money", CellKind.Money), new("Integer", CellKind.Integer), new("Amount", CellKind.Amount),
        new("Date", CellKind.Date), new("Recorded", CellKind.DateTime), new("Flag", CellKind.Boolean), new("Empty", CellKind.Text),
        new("Label", CellKind.Label), new("Sometimes", CellKind.Integer),
    ];

    [Fact]
    public async Task Workbook_IsAValidPackage_ThatTheOpenXmlSdkReadsBack()
    {
        var path = Path.Combine(Path.GetTempPath(), $"grantledger-writer-{Guid.NewGuid():N}.xlsx");
        try
        {
            await using (var file = File.Create(path))
            using (var book = new WorkbookWriter(file))
            {
                await book.AddSheetAsync("First", Columns, Rows(50));
                var cut = await book.AddSheetAsync("Cut 'short'", Columns, Rows(50), maxRows: 10, csvName: "cut.csv", totalRows: 50);
                Assert.True(cut.CutShort);
                Assert.Equal(0, cut.Rows); // too long to hold: a note, not part of the table
                Assert.Contains("cut.csv", cut.Note);
                var unknown = await book.AddSheetAsync("Unknown length", Columns, Rows(50), maxRows: 10, csvName: "unknown.csv");
                Assert.True(unknown.CutShort);
                Assert.Equal(8, unknown.Rows); // its length learnt only by reading: stops at the limit and says so
                await book.AddSheetAsync("Empty", Columns, Rows(0));
                book.Finish();
            }

            using var document = SpreadsheetDocument.Open(path, false);
            var errors = new OpenXmlValidator().Validate(document).Select(e => $"{e.Part?.Uri} {e.Path?.XPath}: {e.Description}").ToList();
            Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
            var sheets = document.WorkbookPart!.Workbook.Sheets!.Elements<DocumentFormat.OpenXml.Spreadsheet.Sheet>().Select(s => s.Name!.Value).ToList();
            Assert.Equal(["First", "Cut 'short'", "Unknown length", "Empty"], sheets);

            var book2 = await ExportWorld.ReadWorkbookAsync(path);
            var first = book2["sheets"]![0]!;
            Assert.Equal(51, first["maxRow"]!.GetValue<int>());
            Assert.Equal("-0.5", first["rows"]![0]![1]!.GetValue<string>()); // -50p, exactly
            Assert.Equal("row 0   with a control character", first["rows"]![0]![0]!.GetValue<string>());
            Assert.Equal("2026-09-01 00:00:00", first["rows"]![0]![4]!.GetValue<string>());
            Assert.Equal("2026-11-30 02:15:00", first["rows"]![0]![5]!.GetValue<string>());
            Assert.Equal(WorkbookWriter.MoneyFormat, first["formats"]!["Money"]!.GetValue<string>());
            // an empty cell is left out, and the cell after it says where it is; labels come back from the shared strings
            for (var i = 0; i < 50; i++)
            {
                var row = first["rows"]![i]!.AsArray();
                Assert.Null(row[7]);
                Assert.Equal($"label {i % 3}", row[8]!.GetValue<string>());
                Assert.Equal(i % 4 == 0 ? null : i.ToString(), row[9]?.GetValue<string>());
            }
            Assert.Equal(2, book2["sheets"]![1]!["maxRow"]!.GetValue<int>());
            Assert.Equal(10, book2["sheets"]![2]!["maxRow"]!.GetValue<int>());
            Assert.Empty(book2["warnings"]!.AsArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Pounds_AreExactToThePenny_AsDecimalArithmeticHasThem()
    {
        static string Expected(long pence) => (pence / 100m).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var pence in new[] { 0L, 1, 5, 10, 99, 100, 123456, -1, -5, -50, -100, -123456, long.MaxValue, long.MinValue, long.MinValue + 1 })
            Assert.Equal(Expected(pence), WorkbookWriter.Pounds(pence));
        var random = new Random(7);
        for (var i = 0; i < 10_000; i++)
        {
            var pence = random.NextInt64(-10_000_000_000, 10_000_000_000);
            Assert.Equal(Expected(pence), WorkbookWriter.Pounds(pence));
        }
    }

    [Fact]
    public void AccountNames_MapEveryCodeUnderARoot_AndBack()
    {
        Assert.Equal("Liabilities:Tp:2026-27:School:100001:Staff-cover:Available",
            PlainTextJournal.AccountName("tp:2026-27:school:100001:staff-cover:available", "credit"));
        Assert.Equal("Assets:Tp:2026-27:Funding", PlainTextJournal.AccountName("tp:2026-27:funding", "debit"));
        Assert.Equal("Assets:Tp:2026-27:School:100001:Staff-cover:Paid", PlainTextJournal.AccountName("tp:2026-27:school:100001:staff-cover:paid", "credit"));
        Assert.Equal("Equity:Tp:2026-27:Lapsed", PlainTextJournal.AccountName("tp:2026-27:lapsed", "credit"));
        Assert.Equal("tp:2026-27:school:100001:staff-cover:available",
            PlainTextJournal.CodeOf(PlainTextJournal.AccountName("tp:2026-27:school:100001:staff-cover:available", "credit")));
    }
}
