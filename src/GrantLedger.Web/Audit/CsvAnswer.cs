using System.Text;
using GrantLedger.Web.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace GrantLedger.Web.Audit;

/// <summary>
/// A query's result as CSV (RFC 4180, UTF-8), streamed: first the query itself as "# " comment
/// lines (what was asked, by whom, when), then a header row, then the rows.
/// </summary>
public sealed class CsvAnswer(string fileName, IReadOnlyList<string> header, IAsyncEnumerable<IReadOnlyList<string?>> rows) : IActionResult
{
    /// <summary>The formats an answer is given in, as <c>?format=</c> names them.</summary>
    public static readonly string[] Formats = ["json", "csv"];

    private bool _forSpreadsheets;

    /// <summary>The answer as a page's download: started with UTF-8's byte order mark (<see cref="Csv.ByteOrderMark"/>) for the spreadsheet it is opened in.</summary>
    public CsvAnswer ForSpreadsheets()
    {
        _forSpreadsheets = true;
        return this;
    }

    /// <summary>CSV when <c>?format=csv</c> or an Accept of text/csv asks for it; any format but json or csv is refused, not answered as JSON.</summary>
    public static bool Wanted(HttpRequest request, string? format) => format?.ToLowerInvariant() switch
    {
        null => request.Headers.Accept.Any(a => a?.Contains("text/csv", StringComparison.OrdinalIgnoreCase) == true),
        "csv" => true,
        "json" => false,
        _ => throw new Core.Rules.InvalidInput("format", "must be json or csv"),
    };

    public static CsvAnswer Of<T>(string fileName, IReadOnlyList<string> header, IEnumerable<T> rows, Func<T, IReadOnlyList<string?>> columns) =>
        new(fileName, header, ToAsync(rows.Select(columns)));

    /// <summary>Rows read as they are written (a database reader's), each made into its cells.</summary>
    public static CsvAnswer Of<T>(string fileName, IReadOnlyList<string> header, IAsyncEnumerable<T> rows, Func<T, IReadOnlyList<string?>> columns) =>
        new(fileName, header, Cells(rows, columns));

    private static async IAsyncEnumerable<IReadOnlyList<string?>> Cells<T>(IAsyncEnumerable<T> items, Func<T, IReadOnlyList<string?>> columns)
    {
        await foreach (var item in items) yield return columns(item);
    }

    public async Task ExecuteResultAsync(ActionContext context)
    {
        var http = context.HttpContext;
        var response = http.Response;
        response.StatusCode = 200;
        response.ContentType = "text/csv; charset=utf-8";
        response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        if (_forSpreadsheets) await response.Body.WriteAsync(Csv.ByteOrderMark.ToArray(), http.RequestAborted);
        await using var writer = new StreamWriter(response.Body, new UTF8Encoding(false), 64 * 1024);
        foreach (var line in QueryLines(http)) await writer.WriteAsync("# " + line.ReplaceLineEndings(" ") + "\r\n");
        await WriteRowAsync(writer, header);
        await foreach (var row in rows.WithCancellation(http.RequestAborted)) await WriteRowAsync(writer, row);
        await writer.FlushAsync(http.RequestAborted);
    }

    /// <summary>The query as asked, each parameter on its own line, and who asked when.</summary>
    public static IEnumerable<string> QueryLines(HttpContext http)
    {
        var request = http.Request;
        yield return $"query: {request.Method} {request.Path}{Uri.UnescapeDataString(request.QueryString.Value ?? "")}";
        // a page's route names the page and its handler ("page: /Ledger/Trail", "handler: csv"): how it was asked, not what
        foreach (var (key, value) in request.RouteValues.Where(r => r.Key is not "action" and not "controller" and not "page" and not "handler"))
            yield return $"{key}: {value}";
        foreach (var (key, value) in request.Query.Where(q => q.Key is not "format" and not "handler"))
            yield return $"{key}: {value}";
        yield return $"run by: {http.User.Identity?.Name} ({http.User.FindFirst(System.Security.Claims.ClaimTypes.Role)?.Value})";
        yield return $"run at: {DateTimeOffset.UtcNow:yyyy-MM-dd'T'HH:mm:ss'Z'}";
        yield return "amounts: pounds with two places (GBP) or whole minutes (MIN)";
    }

    private static Task WriteRowAsync(TextWriter writer, IReadOnlyList<string?> row)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < row.Count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(Csv.Field(row[i]));
        }
        sb.Append("\r\n");
        return writer.WriteAsync(sb.ToString());
    }

    private static async IAsyncEnumerable<T> ToAsync<T>(IEnumerable<T> items)
    {
        foreach (var item in items) yield return item;
        await Task.CompletedTask;
    }
}
