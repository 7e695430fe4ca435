using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Security;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Spreadsheet;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using GrantLedger.Web.Pages;

namespace GrantLedger.Web.Exports;

/// <summary>What became of one sheet: its data rows, and whether Excel's row limit cut it short.</summary>
public sealed record SheetResult(string Name, long Rows, bool CutShort, string? Note);

/// <summary>
/// Writes an .xlsx a row at a time. Each worksheet is streamed by the Open XML SDK's
/// <see cref="OpenXmlPartWriter"/> straight into its own entry of a <see cref="ZipArchive"/>, because
/// <c>SpreadsheetDocument</c> buffers each whole part in memory (hundreds of MB for a million rows);
/// the few small parts (content types, relationships, workbook, styles) are fixed XML written at the end.
/// The XML is compressed on a second thread (<see cref="HandOffStream"/>) while the next rows are written.
/// Memory stays flat however many rows there are. Money is a number (pounds, from pence as exact
/// decimal text, never a double) with a £ format; headers are bold and frozen, with an autofilter.
/// Labels (areas, years, states: few distinct values) are shared strings, written once; an empty
/// value writes no cell. Both cut the elements written per row, which is what a sheet's time is.
/// </summary>
public sealed class WorkbookWriter : IDisposable
{
    /// <summary>Excel's limit: rows per worksheet.</summary>
    public const long ExcelMaxRows = 1_048_576;

    // cell styles, in the order of cellXfs in styles.xml
    private const string StyleHeader = "1", StyleMoney = "2", StyleInteger = "3", StyleDate = "4", StyleDateTime = "5", StyleNote = "6";
    public const string MoneyFormat = "\"£\"#,##0.00";

    private static readonly DateOnly ExcelEpoch = new(1899, 12, 30);
    private static readonly SearchValues<char> Invalid = SearchValues.Create(
        Enumerable.Range(0, 32).Where(c => c is not (9 or 10 or 13)).Select(c => (char)c).Concat("\uFFFE\uFFFF").ToArray());

    private readonly ZipArchive _zip;
    private readonly CompressionLevel _compression;
    private readonly List<(string Name, string? FilterRef)> _sheets = [];
    private readonly SharedStrings _shared = new();
    private bool _finished;

    public WorkbookWriter(Stream output, CompressionLevel compression = CompressionLevel.Fastest)
    {
        _zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        _compression = compression;
    }

    /// <param name="maxRows">the most rows a sheet may have, header included (Excel's limit unless a test says less)</param>
    /// <param name="csvName">where the whole table is, for the note on a sheet that cannot hold it</param>
    /// <param name="totalRows">the table's rows when known: more than the sheet holds, and the sheet is a note instead</param>
    /// <param name="progress">told of each data row read</param>
    public async Task<SheetResult> AddSheetAsync(string name, IReadOnlyList<Column> columns, IAsyncEnumerable<object?[]> rows,
        long maxRows = ExcelMaxRows, string? csvName = null, long? totalRows = null, Action<long>? progress = null,
        CancellationToken ct = default)
    {
        if (maxRows < 3) throw new ArgumentOutOfRangeException(nameof(maxRows), "a sheet needs room for its header, a row and a note");
        var index = _sheets.Count + 1;
        var entry = _zip.CreateEntry($"xl/worksheets/sheet{index}.xml", _compression);
        long written = 0;
        var cutShort = false;
        string? note = null;
        string? filterRef = null;
        await using (var zipped = entry.Open())
        using (var stream = new HandOffStream(zipped))
        using (var w = new OpenXmlPartWriter(stream, new UTF8Encoding(false)))
        {
            w.WriteStartDocument();
            w.WriteStartElement(new Worksheet());
            w.WriteElement(new SheetViews(new SheetView(
                new Pane { VerticalSplit = 1, TopLeftCell = "A2", ActivePane = PaneValues.BottomLeft, State = PaneStateValues.Frozen },
                new Selection { Pane = PaneValues.BottomLeft, ActiveCell = "A2", SequenceOfReferences = new ListValue<StringValue> { InnerText = "A2" } })
            { WorkbookViewId = 0 }));
            w.WriteElement(new Columns(columns.Select((c, i) => new DocumentFormat.OpenXml.Spreadsheet.Column
            {
                Min = (uint)(i + 1), Max = (uint)(i + 1), Width = c.EffectiveWidth, CustomWidth = true,
            })));
            w.WriteStartElement(new SheetData());

            var cells = new SheetCells(w, _shared, columns.Count);
            cells.StartRow(1);
            foreach (var c in columns) cells.Text(c.Name, StyleHeader);
            cells.EndRow();

            var capacity = maxRows - 1; // data rows below the header
            if (totalRows > capacity)
            {
                // A sheet cut at Excel's limit would hold part of the table, and its totals would be
                // wrong without a word on the row that says so: no rows, a note where they would be.
                cutShort = true;
                note = $"This table has {Gov.Number(totalRows.Value)} rows, more than the {Gov.Number(capacity)} Excel holds below a header, so none are here " +
                       $"(part of a table would add up to the wrong totals). Every row is in {csvName ?? "the CSV export"} (export csv).";
                cells.StartRow(2);
                cells.Text(note, StyleNote);
                cells.EndRow();
                progress?.Invoke(totalRows.Value);
            }
            await using var e = rows.GetAsyncEnumerator(ct);
            var has = !cutShort && await e.MoveNextAsync();
            while (has)
            {
                var row = e.Current;
                has = await e.MoveNextAsync();
                if (written == capacity - 1 && has)
                {
                    // the last row Excel has: say where the rest is instead
                    cutShort = true;
                    note = $"This sheet stops here: Excel holds at most {Gov.Number(maxRows)} rows, and this table has " +
                           (totalRows is { } t ? $"{Gov.Number(t)} rows" : "more rows") +
                           $". The first {Gov.Number(written)} are above; every row is in {csvName ?? "the CSV export"} (export csv).";
                    cells.StartRow(written + 2);
                    cells.Text(note, StyleNote);
                    cells.EndRow();
                    break;
                }
                written++;
                cells.StartRow(written + 1);
                for (var i = 0; i < columns.Count; i++) cells.Value(columns[i].Kind, i < row.Length ? row[i] : null, i);
                cells.EndRow();
                progress?.Invoke(1);
            }
            w.WriteEndElement(); // sheetData
            var lastRow = written + 1;
            if (written > 0)
            {
                filterRef = $"A1:{ColumnLetters(columns.Count)}{lastRow}";
                w.WriteElement(new AutoFilter { Reference = filterRef });
            }
            w.WriteEndElement(); // worksheet
            w.Close();
            stream.Complete();
        }
        _sheets.Add((name, filterRef));
        return new SheetResult(name, written, cutShort, note);
    }

    /// <summary>Writes the package's fixed parts. The sheets appear in the order they were added.</summary>
    public void Finish()
    {
        if (_finished) return;
        _finished = true;
        Part("[Content_Types].xml", ContentTypes());
        Part("_rels/.rels", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>
            """);
        Part("xl/workbook.xml", Workbook());
        Part("xl/_rels/workbook.xml.rels", WorkbookRels());
        Part("xl/styles.xml", Styles);
        if (_shared.Count > 0) _shared.Write(_zip.CreateEntry("xl/sharedStrings.xml", _compression));
        _zip.Dispose();
    }

    public void Dispose()
    {
        if (!_finished) _zip.Dispose();
    }

    private void Part(string path, string xml)
    {
        var entry = _zip.CreateEntry(path, _compression);
        using var stream = entry.Open();
        var bytes = new UTF8Encoding(false).GetBytes(xml.Trim());
        stream.Write(bytes);
    }

    private string ContentTypes()
    {
        var sb = new StringBuilder("""<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>""");
        for (var i = 1; i <= _sheets.Count; i++)
            sb.Append($"""<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>""");
        if (_shared.Count > 0)
            sb.Append("""<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>""");
        return sb.Append("</Types>").ToString();
    }

    private string Workbook()
    {
        var sb = new StringBuilder("""<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><bookViews><workbookView activeTab="0"/></bookViews><sheets>""");
        for (var i = 0; i < _sheets.Count; i++)
            sb.Append($"""<sheet name="{SecurityElement.Escape(_sheets[i].Name)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>""");
        sb.Append("</sheets>");
        var filtered = _sheets.Select((s, i) => (s, i)).Where(x => x.s.FilterRef is not null).ToList();
        if (filtered.Count > 0)
        {
            sb.Append("<definedNames>");
            foreach (var (s, i) in filtered)
            {
                var parts = s.FilterRef!.Split(':');
                var range = $"'{s.Name.Replace("'", "''")}'!{Absolute(parts[0])}:{Absolute(parts[1])}";
                sb.Append($"""<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">{SecurityElement.Escape(range)}</definedName>""");
            }
            sb.Append("</definedNames>");
        }
        return sb.Append("<calcPr calcId=\"191029\" fullCalcOnLoad=\"1\"/></workbook>").ToString();
    }

    private static string Absolute(string cell)
    {
        var letters = new string(cell.TakeWhile(char.IsLetter).ToArray());
        return $"${letters}${cell[letters.Length..]}";
    }

    private string WorkbookRels()
    {
        var sb = new StringBuilder("""<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">""");
        for (var i = 1; i <= _sheets.Count; i++)
            sb.Append($"""<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>""");
        sb.Append($"""<Relationship Id="rId{_sheets.Count + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>""");
        if (_shared.Count > 0)
            sb.Append($"""<Relationship Id="rId{_sheets.Count + 2}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>""");
        return sb.Append("</Relationships>").ToString();
    }

    // 0 default; 1 header (bold); 2 money; 3 whole numbers; 4 date; 5 date and time; 6 a note (bold, wrapped)
    private const string Styles = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="3"><numFmt numFmtId="164" formatCode="&quot;£&quot;#,##0.00"/><numFmt numFmtId="165" formatCode="yyyy\-mm\-dd"/><numFmt numFmtId="166" formatCode="yyyy\-mm\-dd\ hh:mm"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment wrapText="0"/></xf></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>
        """;

    public static string ColumnLetters(int column)
    {
        var s = "";
        for (var n = column; n > 0; n = (n - 1) / 26) s = (char)('A' + (n - 1) % 26) + s;
        return s;
    }

    /// <summary>Excel's serial day number: days since 30 December 1899.</summary>
    public static long Serial(DateOnly date) => date.DayNumber - ExcelEpoch.DayNumber;

    /// <summary>A moment (UTC) as Excel's serial number, to the second: whole days, then the fraction of the day in integers.</summary>
    public static string SerialText(DateTimeOffset t)
    {
        var utc = t.UtcDateTime;
        var days = Serial(DateOnly.FromDateTime(utc));
        var seconds = (long)utc.TimeOfDay.TotalSeconds;
        if (seconds == 0) return days.ToString(CultureInfo.InvariantCulture);
        var fraction = (seconds * 10_000_000_000L / 86_400).ToString("D10", CultureInfo.InvariantCulture).TrimEnd('0');
        return $"{days.ToString(CultureInfo.InvariantCulture)}.{fraction}";
    }

    /// <summary>Pence as pounds in exact decimal text ("1234.50", "-0.05"): <see cref="Money.ToDecimalString"/>.</summary>
    public static string Pounds(long pence) => new Money(pence).ToDecimalString();

    /// <summary>
    /// The workbook's shared strings: each distinct value of a <see cref="CellKind.Label"/> column
    /// (an area, a year, a state) written once, and cells that point to it. At most
    /// <see cref="Limit"/> values are kept, so memory does not grow with rows; past that, labels are
    /// written in their cells.
    /// </summary>
    private sealed class SharedStrings
    {
        public const int Limit = 65_536;
        private readonly Dictionary<string, string> _index = new(StringComparer.Ordinal); // value → its index as text
        private readonly List<string> _values = [];
        private long _uses;

        public int Count => _values.Count;

        /// <summary>The value's index as cell text, or null when the table is full.</summary>
        public string? IndexOf(string value)
        {
            if (!_index.TryGetValue(value, out var index))
            {
                if (_values.Count >= Limit) return null;
                _index[value] = index = _values.Count.ToString(CultureInfo.InvariantCulture);
                _values.Add(value);
            }
            _uses++;
            return index;
        }

        public void Write(ZipArchiveEntry entry)
        {
            using var stream = entry.Open();
            using var w = new OpenXmlPartWriter(stream, new UTF8Encoding(false));
            w.WriteStartDocument();
            w.WriteStartElement(new SharedStringTable { Count = (uint)Math.Min(_uses, uint.MaxValue), UniqueCount = (uint)_values.Count });
            var item = new SharedStringItem();
            var text = new Text();
            foreach (var value in _values)
            {
                w.WriteStartElement(item);
                w.WriteStartElement(text);
                w.WriteString(value);
                w.WriteEndElement();
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.Close();
        }
    }

    /// <summary>
    /// Writes cells with reused element objects and attribute lists: the hot loop of a million-row
    /// sheet. An empty value writes no cell at all; the next cell of the row then says where it is
    /// (<c>r="M5"</c>), as cells without a reference follow the one before.
    /// </summary>
    private sealed class SheetCells(OpenXmlWriter w, SharedStrings shared, int columns)
    {
        private static readonly Row RowElement = new();
        private static readonly Cell CellElement = new();
        private static readonly CellValue ValueElement = new();
        private static readonly CellFormula FormulaElement = new();
        private static readonly InlineString InlineElement = new();
        private static readonly Text TextElement = new();
        private static readonly OpenXmlAttribute[] None = [];
        private static readonly Dictionary<string, OpenXmlAttribute[]> Styled =
            new[] { StyleHeader, StyleMoney, StyleInteger, StyleDate, StyleDateTime, StyleNote }
                .SelectMany(s => new[]
                {
                    KeyValuePair.Create(s, new OpenXmlAttribute[] { new("s", "", s) }),
                    KeyValuePair.Create("t" + s, new OpenXmlAttribute[] { new("t", "", "inlineStr"), new("s", "", s) }),
                })
                .ToDictionary();
        private static readonly OpenXmlAttribute[] InlineText = [new("t", "", "inlineStr")];
        private static readonly OpenXmlAttribute[] BooleanCell = [new("t", "", "b")];
        private static readonly OpenXmlAttribute[] StringResult = [new("t", "", "str")];
        private static readonly OpenXmlAttribute[] SharedText = [new("t", "", "s")];
        private readonly OpenXmlAttribute[] _row = [new("r", "", "1")];
        private readonly string[] _letters = Enumerable.Range(1, columns).Select(ColumnLetters).ToArray();
        private string _rowText = "1";
        private bool _skipped;
        private string? _reference;

        public void StartRow(long number)
        {
            _rowText = number.ToString(CultureInfo.InvariantCulture);
            _row[0] = new OpenXmlAttribute("r", "", _rowText);
            _skipped = false;
            w.WriteStartElement(RowElement, _row);
        }

        /// <summary>The cell's attributes, led by its reference when a cell before it in the row was left out.</summary>
        private OpenXmlAttribute[] Cell(OpenXmlAttribute[] attributes)
        {
            if (_reference is null) return attributes;
            var withReference = new OpenXmlAttribute[attributes.Length + 1];
            withReference[0] = new OpenXmlAttribute("r", "", _reference);
            attributes.CopyTo(withReference, 1);
            _reference = null;
            return withReference;
        }

        public void EndRow() => w.WriteEndElement();

        public void Text(string text, string? style = null)
        {
            w.WriteStartElement(CellElement, Cell(style is null ? InlineText : StyledText(style)));
            w.WriteStartElement(InlineElement);
            w.WriteStartElement(TextElement);
            w.WriteString(Clean(text));
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
        }

        public void Value(CellKind kind, object? value, int column)
        {
            if (value is null)
            {
                _skipped = true;
                return;
            }
            if (_skipped)
            {
                _reference = _letters[column] + _rowText;
                _skipped = false;
            }
            switch (value)
            {
                case Computed c:
                    Formula(kind, c);
                    return;
                case string s when kind == CellKind.Label && shared.IndexOf(Clean(s)) is { } index:
                    Number(index, null, SharedText);
                    return;
                case string s:
                    Text(s);
                    return;
                case bool b:
                    Number(b ? "1" : "0", null, BooleanCell);
                    return;
                case DateOnly d:
                    Number(Serial(d).ToString(CultureInfo.InvariantCulture), StyleDate);
                    return;
                case DateTimeOffset t:
                    Number(SerialText(t), StyleDateTime);
                    return;
                case UnitAmount a:
                    Number(Number(a.Unit, a.Value), a.Unit == Unit.Gbp ? StyleMoney : StyleInteger);
                    return;
                case long n when kind == CellKind.Money:
                    Number(Pounds(n), StyleMoney);
                    return;
                case long n:
                    Number(n.ToString(CultureInfo.InvariantCulture), StyleInteger);
                    return;
                case int n:
                    Number(n.ToString(CultureInfo.InvariantCulture), StyleInteger);
                    return;
                default:
                    Text(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
                    return;
            }
        }

        private static string Number(Unit unit, long value) =>
            unit == Unit.Gbp ? Pounds(value) : value.ToString(CultureInfo.InvariantCulture);

        private void Formula(CellKind kind, Computed c)
        {
            var (text, style, attributes) = c.Value switch
            {
                bool b => (b ? "1" : "0", (string?)null, BooleanCell),
                UnitAmount a => (Number(a.Unit, a.Value), a.Unit == Unit.Gbp ? StyleMoney : StyleInteger, (OpenXmlAttribute[]?)null),
                long n when kind == CellKind.Money => (Pounds(n), StyleMoney, null),
                long n => (n.ToString(CultureInfo.InvariantCulture), StyleInteger, null),
                var v => (Clean(Convert.ToString(v, CultureInfo.InvariantCulture) ?? ""), null, StringResult),
            };
            w.WriteStartElement(CellElement, Cell(attributes ?? (style is null ? None : Style(style))));
            w.WriteStartElement(FormulaElement);
            w.WriteString(c.Formula.Replace("{row}", _rowText));
            w.WriteEndElement();
            w.WriteStartElement(ValueElement);
            w.WriteString(text);
            w.WriteEndElement();
            w.WriteEndElement();
        }

        private void Number(string text, string? style, OpenXmlAttribute[]? attributes = null)
        {
            w.WriteStartElement(CellElement, Cell(attributes ?? (style is null ? None : Style(style))));
            w.WriteStartElement(ValueElement);
            w.WriteString(text);
            w.WriteEndElement();
            w.WriteEndElement();
        }

        private static OpenXmlAttribute[] Style(string style) => Styled[style];

        private static OpenXmlAttribute[] StyledText(string style) => Styled["t" + style];

        /// <summary>XML 1.0 cannot carry most control characters: they become spaces.</summary>
        private static string Clean(string text)
        {
            if (text.AsSpan().IndexOfAny(Invalid) < 0) return text;
            var chars = text.ToCharArray();
            for (var i = 0; i < chars.Length; i++)
                if (Invalid.Contains(chars[i])) chars[i] = ' ';
            return new string(chars);
        }
    }
}
