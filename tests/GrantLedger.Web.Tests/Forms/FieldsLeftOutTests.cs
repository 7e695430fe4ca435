using System.Net;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Forms;

/// <summary>
/// Every page's form, sent with its fields left out, says what to do in GOV.UK's words, in the order of its fields: "Enter …"
/// for what is typed, "Select …" for a select, radios, a checkbox or a file; never "The half-term is required". A select the
/// user must answer starts with no choice made, so one forgotten is told, not silently given its first option.
/// </summary>
public sealed class FieldsLeftOutTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task TheLineForm_SaysWhatToDo_ForEachFieldLeftOut_AndItsSelectsStartBlank()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var url = $"/school/claims/{id}/line";

        var (problems, _) = await PageForms.PostAsync(page, $"{url}?handler=Kind", [], formAt: url);
        Assert.Equal([("kind", "Select what the line is for")], problems);

        var staffTime = await page.GetStringAsync($"{url}?kind=staff-time");
        StartsBlank(staffTime, "role", "Select the role");
        StartsBlank(staffTime, "activity", "Select the activity");
        (problems, _) = await PageForms.PostAsync(page, url, new()
        {
            ["kind"] = "staff-time", ["staffRef"] = "", ["role"] = "", ["activity"] = "", ["date-day"] = "", ["date-month"] = "", ["date-year"] = "",
            ["days"] = "", ["hours"] = "", ["categoryId"] = w.Category("staff-cover").ToString(), ["allowanceCategoryId"] = "", ["description"] = "",
        }, formAt: $"{url}?kind=staff-time");
        Assert.Equal([("staffRef", "Enter the staff reference"), ("role", "Select the role"), ("activity", "Select the activity"),
            ("date", "Enter the date of the work"), ("days", "Enter the number of days or hours")], problems);

        StartsBlank(await page.GetStringAsync($"{url}?kind=action-plan"), "actionId", "Select the action");
        (problems, _) = await PageForms.PostAsync(page, url, new()
        {
            ["kind"] = "action-plan", ["actionId"] = "", ["supplier"] = "", ["invoiceRef"] = "", ["amount"] = "",
            ["categoryId"] = w.Category("action-plan").ToString(), ["description"] = "",
        }, formAt: $"{url}?kind=action-plan");
        Assert.Equal([("actionId", "Select the action"), ("supplier", "Enter the supplier"), ("invoiceRef", "Enter the invoice reference"),
            ("amount", "Enter the invoice amount")], problems);

        var specialist = await page.GetStringAsync($"{url}?kind=specialist-days");
        StartsBlank(specialist, "specialist", "Select the specialist");
        StartsBlank(specialist, "allowanceCategoryId", "Select the allowance");
        (problems, _) = await PageForms.PostAsync(page, url, new()
        {
            ["kind"] = "specialist-days", ["specialist"] = "", ["date-day"] = "", ["date-month"] = "", ["date-year"] = "", ["days"] = "",
            ["categoryId"] = "", ["allowanceCategoryId"] = "", ["description"] = "",
        }, formAt: $"{url}?kind=specialist-days");
        Assert.Equal([("specialist", "Select the specialist"), ("date", "Enter the date of the work"), ("days", "Enter the number of days"),
            ("allowanceCategoryId", "Select the allowance")], problems);

        (problems, _) = await PageForms.PostAsync(page, url, new()
        {
            ["kind"] = "support-hours", ["staffRef"] = "STAFF-01", ["date-day"] = "5", ["date-month"] = "10", ["date-year"] = "2026", ["hours"] = "",
            ["categoryId"] = w.Category("tlr-admin").ToString(), ["allowanceCategoryId"] = "", ["description"] = "",
        }, formAt: $"{url}?kind=support-hours");
        Assert.Equal([("hours", "Enter the number of hours")], problems);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM claim_line"));
    }

    [Fact]
    public async Task StartingAClaim_WithoutItsHalfTerm_SaysSelectTheHalfTerm()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var (problems, _) = await PageForms.PostAsync(page, "/school/claims/new", new() { ["description"] = "" });
        Assert.Equal([("periodId", "Select the half-term the claim is for")], problems);
    }

    [Fact]
    public async Task APlanWithoutThemes_AndAnActionLeftOut_SayWhatToDo_AndTheHalfTermStartsBlank()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.OtherSchool.UserName);
        var (problems, _) = await PageForms.PostAsync(page, "/school/plan/themes", new()
        {
            ["id"] = "", ["studentGroupAgreedOn-day"] = "", ["studentGroupAgreedOn-month"] = "", ["studentGroupAgreedOn-year"] = "", ["summary"] = "",
        });
        Assert.Equal([("themes", "Select 2 or 3 themes for your plan")], problems);

        var plan = (await w.OtherSchool.PostAsync("/api/v1/action-plans", new
        {
            programmeYearId = w.S.YearId, themes = new[] { "learning", "support" }, studentGroupAgreedOn = w.S.On("09-20"), actions = Array.Empty<object>(),
        })).Expect(HttpStatusCode.Created).Id;
        var url = $"/school/plan/action?id={plan}";
        StartsBlank(await page.GetStringAsync(url), "periodId", "Select the half-term");
        (problems, _) = await PageForms.PostAsync(page, url, new()
        {
            ["id"] = plan.ToString(), ["description"] = " ", ["periodId"] = "", ["estimatedCost"] = "",
        });
        Assert.Equal([("theme", "Select the theme the action is under"), ("description", "Enter what the school will do"),
            ("periodId", "Select the half-term the action happens in"), ("estimatedCost", "Enter the estimated cost")], problems);
    }

    [Fact]
    public async Task FilesLeftOut_AreToldToSelect_AndEvidenceAsksWhichLineItIsFor()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);

        var evidence = $"/school/claims/{id}/evidence";
        StartsBlank(await page.GetStringAsync(evidence), "lineId", "Select the line it is for");
        var (problems, _) = await PageForms.PostAsync(page, evidence, new() { ["lineId"] = "" }, multipart: true);
        Assert.Equal([("file", "Select the invoice or receipt to upload"), ("lineId", "Select the line it is for, or the whole claim")], problems);

        (problems, _) = await PageForms.PostAsync(page, $"/school/claims/{id}/import", [], multipart: true);
        Assert.Equal([("file", "Select a CSV file to import")], problems);

        var finance = await w.S.FinanceAsync(Db);
        using var financePage = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, finance.UserName);
        (problems, var html) = await PageForms.PostAsync(financePage, "/finance/confirmations", [], multipart: true);
        Assert.Equal([("file", "Select the confirmations file to import")], problems);
        Assert.Contains("class=\"govuk-file-upload govuk-file-upload--error\"", html);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM evidence"));
    }

    /// <summary>An empty (0-byte) confirmations file is told as empty: it was told to "Select the confirmations file", which the user had.</summary>
    [Fact]
    public async Task AnEmptyConfirmationsFile_IsToldAsEmpty()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var finance = await w.S.FinanceAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, finance.UserName);
        var form = new MultipartFormDataContent
        {
            { new StringContent(PageFormFuzzTests.TokenOf(await page.GetStringAsync("/finance/confirmations"))), PageFormFuzzTests.Token },
            { new ByteArrayContent([]), "file", "confirmations.csv" },
        };
        using var answer = await page.PostAsync("/finance/confirmations", form);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal([("file", "The selected file is empty")], PageForms.Problems(WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync())));
    }

    /// <summary>Days that cannot be read are told with an example one line allows (at most a day): it said "like 7.5".</summary>
    [Fact]
    public async Task DaysThatCannotBeRead_AreToldWithAnExampleALineAllows()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var (problems, _) = await PageForms.PostAsync(page, $"/school/claims/{id}/line?kind=specialist-days", new() { ["days"] = "one" });
        Assert.Contains(("days", "Days must be a number with at most two decimal places, like 0.5"), problems);
    }

    [Fact]
    public async Task SubmittingWithoutTheDeclaration_SaysSelectToConfirmIt()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var (problems, _) = await PageForms.PostAsync(page, $"/school/claims/{id}/check", []);
        Assert.Equal([("declaration", "Select to confirm the declaration")], problems);
    }

    [Fact]
    public async Task AnExportWithoutItsKind_SaysSelectWhatToExport()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var finance = await w.S.FinanceAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, finance.UserName);
        var (problems, _) = await PageForms.PostAsync(page, "/exports/new", new()
        {
            ["programmeId"] = w.S.ProgrammeId.ToString(), ["asOf-day"] = "", ["asOf-month"] = "", ["asOf-year"] = "",
        });
        Assert.Equal([("kind", "Select what to export")], problems);
    }

    [Fact]
    public async Task ClosingAYear_WithItsChoicesLeftOut_SaysSelectForEach_InTheirOrder()
    {
        var w = await ClaimWorld.CreateAsync(Db, "2025-26");
        (await w.S.Root.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years", new { code = "2026-27" })).Expect(HttpStatusCode.Created);
        var finance = await w.S.FinanceAsync(Db);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, finance.UserName);
        var form = await page.GetStringAsync("/finance/year-end");
        var treatments = Regex.Matches(form, "<input class=\"govuk-radios__input\" id=\"(treatment-\\d+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(4, treatments.Count);
        StartsBlank(form, "nextYearId", "Select the year");

        var (problems, _) = await PageForms.PostAsync(page, "/finance/year-end", new() { ["yearId"] = w.S.YearId.ToString(), ["nextYearId"] = "" });
        Assert.Equal(treatments, problems.Select(p => p.Field));
        Assert.All(problems, p => Assert.Matches("^Select if unspent .+ lapses or carries forward$", p.Text));

        var carried = treatments.ToDictionary(t => t, _ => "carry-forward");
        (problems, _) = await PageForms.PostAsync(page, "/finance/year-end", new(carried) { ["yearId"] = w.S.YearId.ToString(), ["nextYearId"] = "" });
        Assert.Equal([("nextYearId", "Select the year to carry unspent allocation forward into")], problems);
    }

    /// <summary>The select starts with an empty choice, first, and no other chosen.</summary>
    private static void StartsBlank(string html, string name, string placeholder)
    {
        var select = Regex.Match(html, $"<select [^>]*name=\"{name}\"[^>]*>(<option value=\"\"(?: selected)?>([^<]*)</option>)?(.*?)</select>", RegexOptions.Singleline);
        Assert.True(select.Success, $"no select {name}");
        Assert.True(select.Groups[1].Success, $"the select {name} starts with a choice made: {select.Value}");
        Assert.Equal(placeholder, select.Groups[2].Value);
        Assert.DoesNotContain(" selected", select.Groups[3].Value);
    }
}
