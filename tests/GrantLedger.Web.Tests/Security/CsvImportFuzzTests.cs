using System.Net;
using System.Text;
using GrantLedger.Web.Tests.Exports;
using GrantLedger.Web.Tests.Support;
using Xunit.Abstractions;

namespace GrantLedger.Web.Tests.Security;

/// <summary>
/// The files the service reads, as <see cref="FuzzTests"/> does for JSON bodies: a claim's lines, the schools of a
/// "Get Information About Schools" export and the finance system's payment confirmations, each sent as a good file
/// changed one way at a time (NUL in a cell, bytes that are not UTF-8, UTF-16, a quote left open, a 100,000-character
/// cell, 2,000 columns, lines ended by CR alone, a header twice, nothing but a header, nothing at all, 10,000 rows).
/// Never a 500 or a logged error; every refusal is a problem document; a refused claim-line file adds no line (it is
/// all or none) and a refused confirmations file changes no payment.
/// </summary>
public sealed class CsvImportFuzzTests(DatabaseFixture db, ITestOutputHelper output) : DatabaseTest(db)
{
    private sealed record Import(string Name, ApiClient Client, string Path, string Good, bool Multipart);

    [Fact]
    public async Task HostileFiles_NeverAnswer500_AndARefusedFileChangesNothing()
    {
        var (x, draft, good) = await GoodFilesAsync();
        var w = x.W;
        var imports = new[]
        {
            new Import("claim lines", w.School, $"/api/v1/claims/{draft}/lines/import", good.Lines, false),
            new Import("schools", w.S.Root, $"/api/v1/programmes/{x.ProgrammeId}/schools/import", good.Schools, false),
            new Import("confirmations", x.Finance, $"/api/v1/programmes/{x.ProgrammeId}/payment-confirmations", good.Confirmations, true),
        };

        var answers = new HostileAnswers(Db);
        foreach (var import in imports)
            foreach (var (change, body) in Changes(import.Good))
            {
                var answer = await answers.SendAsync($"{import.Name}, {change}", () => SendAsync(import, body));
                output.WriteLine($"{import.Name}, {change} → {(int)answer.Status}");
            }
        answers.AssertNone(atLeast: 36);
    }

    /// <summary>
    /// The pages' upload forms take the same files (the business manager's claim lines, the admin's schools and allocations,
    /// finance's confirmations), and the evidence form files that are no evidence, or none: each answers a page, never a 500 or a
    /// logged error, and a page that shows an error has written nothing.
    /// </summary>
    [Fact]
    public async Task ThePagesUploadForms_TakeTheSameHostileFiles_NeverA500_AndAFileRefusedOnThePageChangesNothing()
    {
        var (x, draft, good) = await GoodFilesAsync();
        var w = x.W;
        var uploads = new (string Name, string User, string Page, IEnumerable<(string Change, string FileName, byte[]? Body)> Files)[]
        {
            ("claim lines", w.School.UserName, $"/school/claims/{draft}/import", Csv(good.Lines)),
            ("schools", w.S.Root.UserName, "/admin/schools/import", Csv(good.Schools)),
            ("confirmations", x.Finance.UserName, "/finance/confirmations", Csv(good.Confirmations)),
            ("allocations", w.Admin.UserName, $"/admin/allocations/import?yearId={w.S.YearId}",
                Csv($"URN,category,amount\r\n{w.S.Schools[0].Urn},staff-cover,1.00\r\n")),
            ("evidence", w.School.UserName, $"/school/claims/{draft}/evidence", NoEvidence()),
        };

        var (failures, sent) = (new List<string>(), 0);
        foreach (var upload in uploads)
        {
            using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, upload.User);
            foreach (var (change, fileName, body) in upload.Files)
            {
                var shown = $"{upload.Name}, {change}";
                var fields = PageFormFuzzTests.UploadFormFields(await page.GetStringAsync(upload.Page)); // a fresh token and one-time key each time
                using var form = new MultipartFormDataContent();
                foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
                if (body is not null) form.Add(new ByteArrayContent(body), "file", fileName);
                var (before, errors) = (await Written.FingerprintAsync(Db), ServerErrors.Logged);
                using var answer = await page.PostAsync(upload.Page, form);
                sent++;
                var html = System.Net.WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
                output.WriteLine($"{shown} → {(int)answer.StatusCode}");
                if ((int)answer.StatusCode >= 500) failures.Add($"{shown} → {(int)answer.StatusCode}\n{HostileAnswers.Clip(ServerErrors.Recent(), 400)}");
                else if (ServerErrors.Logged != errors) failures.Add($"{shown} → {(int)answer.StatusCode}, but the service logged an error: {HostileAnswers.Clip(ServerErrors.Recent(), 400)}");
                else if (html.Contains("govuk-error-summary") && await Written.FingerprintAsync(Db) != before) failures.Add($"{shown} → an error shown, but something was written");
                else if (html.Contains("govuk-error-summary") && PageForms.Problems(html).Count == 0) failures.Add($"{shown} → an error summary naming no field");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n" + string.Join("\n", failures.Take(60)));
        Assert.True(sent >= 5 * 5, $"only {sent} files were sent");

        static IEnumerable<(string, string, byte[]?)> Csv(string good) =>
            [.. Changes(good).Select(c => (c.Change, "file.csv", (byte[]?)c.Body)), ("no file at all", "", null), ("a file named with a right-to-left override", "evil\u202Evsc.exe", Encoding.UTF8.GetBytes(good))];

        static IEnumerable<(string, string, byte[]?)> NoEvidence() =>
        [
            ("no file at all", "", null),
            ("an empty file", "empty.pdf", []),
            ("a program named as a PDF", "invoice.pdf", [0x4D, 0x5A, 0x90, 0x00, 0x03]),
            ("a file named with a right-to-left override", "evil\u202Efdp.exe", Encoding.UTF8.GetBytes("%PDF-1.4\n%%EOF\n")),
            ("a file named with a path", "../../etc/passwd.pdf", Encoding.UTF8.GetBytes("%PDF-1.4\n%%EOF\n")),
            ("a name of 5,000 characters", new string('a', 5_000) + ".pdf", Encoding.UTF8.GetBytes("%PDF-1.4\n%%EOF\n")),
        ];
    }

    /// <summary>A world with a draft claim and a payee waiting for payment, and a good file of each kind the service reads for it.</summary>
    private async Task<(ExportWorld X, long Draft, (string Lines, string Schools, string Confirmations) Good)> GoodFilesAsync()
    {
        var x = await ExportWorld.CreateAsync(Db);
        var draft = await x.W.NewClaimAsync();
        var runId = (await x.Finance.GetAsync($"/api/v1/programmes/{x.ProgrammeId}/payment-runs")).Expect(HttpStatusCode.OK).Json.AsArray()[0]!["id"]!;
        var payee = (await x.Finance.GetAsync($"/api/v1/payment-runs/{runId}")).Expect(HttpStatusCode.OK).Json["payees"]!.AsArray()
            .First(p => p!["status"]!.GetValue<string>() == "pending")!;
        return (x, draft, (
            "kind,staffRef,role,activity,date,days,categoryId,description\r\nstaff-time,STAFF-09,leader,training,2026-10-05,1,staff-cover,Peer review\r\n",
            "URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),Postcode\r\n" +
            "299001,202,Area 1,1001,Oak Primary,Community school,Primary,N1 1AA\r\n",
            $"remittance_reference,amount,date,status\r\n{payee["remittanceReference"]},{payee["amount"]},{x.Today:yyyy-MM-dd},paid\r\n"));
    }

    /// <summary>The good file changed one way at a time, as bytes.</summary>
    private static IEnumerable<(string Change, byte[] Body)> Changes(string good)
    {
        var lines = good.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var (header, row) = (lines[0], lines[1]);
        var cells = row.Split(',');
        string WithCell(int i, string value) => header + "\r\n" + string.Join(",", cells.Select((c, j) => j == i ? value : c)) + "\r\n";
        byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

        yield return ("NUL in a cell", Utf8(WithCell(cells.Length - 1, "a\0b")));
        yield return ("NUL in the header", Utf8(header.Replace(",", ",\0", StringComparison.Ordinal) + "\r\n" + row + "\r\n"));
        yield return ("bytes that are not UTF-8", [.. Utf8(header + "\r\n"), .. Utf8(string.Join(",", cells[..^1]) + ","), 0xFF, 0xFE, 0xC3, 0x28, 0x0D, 0x0A]);
        yield return ("UTF-16 with its byte order mark", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(good)]);
        yield return ("UTF-16 without its byte order mark", Encoding.Unicode.GetBytes(good));
        yield return ("UTF-16 without its mark, NUL in a cell", Encoding.Unicode.GetBytes(WithCell(cells.Length - 1, "a\0b")));
        yield return ("a quote left open", Utf8(WithCell(cells.Length - 1, "\"open")));
        yield return ("a cell of 100,000 characters", Utf8(WithCell(cells.Length - 1, new string('x', 100_000))));
        yield return ("2,000 columns", Utf8(header + string.Concat(Enumerable.Range(0, 2000).Select(i => $",extra{i}")) + "\r\n" + row + new string(',', 2000) + "\r\n"));
        yield return ("lines ended by CR alone", Utf8(good.Replace("\r\n", "\r", StringComparison.Ordinal)));
        yield return ("the header twice", Utf8(header + "," + header + "\r\n" + row + "," + row + "\r\n"));
        yield return ("only the header", Utf8(header + "\r\n"));
        yield return ("nothing", []);
        yield return ("10,000 rows", Utf8(header + "\r\n" + string.Concat(Enumerable.Repeat(row + "\r\n", 10_000))));
        yield return ("a formula in a cell", Utf8(WithCell(cells.Length - 1, "=HYPERLINK(\"\"https://evil.example\"\")")));
    }

    private static async Task<Answer> SendAsync(Import import, byte[] body)
    {
        if (!import.Multipart) return await import.Client.PostBytesAsync(import.Path, body, "text/csv");
        using var form = new MultipartFormDataContent { { new ByteArrayContent(body), "file", "file.csv" } };
        using var response = await import.Client.Http.PostAsync(import.Path, form);
        return await Answer.ReadAsync(response);
    }
}
