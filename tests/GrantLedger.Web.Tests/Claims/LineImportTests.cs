using System.Net;
using System.Text;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

/// <summary>A school business manager adds a draft claim's lines from a CSV (POST /api/v1/claims/{id}/lines/import).</summary>
public sealed class LineImportTests(DatabaseFixture db) : DatabaseTest(db)
{
    private static string Path(long claimId) => $"/api/v1/claims/{claimId}/lines/import";

    [Fact]
    public async Task LinesFromACsv_ArePricedAndKeptAsLinesAddedOneByOne_AndTheClaimThenSubmits()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        // the columns in any order and case, categories by id or by code, a quoted description with a comma, empty
        // cells for what a kind does not use
        var csv = $"""
            Kind,staffRef,ROLE,activity,date,days,hours,categoryId,allowanceCategoryId,actionId,supplier,invoiceRef,amount,description
            staff-time,STAFF-01,leader,training,2026-10-05,1,,staff-cover,Contact-Time,,,,,
            staff-time,STAFF-02,teacher,training,2026-10-20,,3.75,{w.Category("staff-cover")},,,,,,"Cover for the autism training, afternoon"
            action-plan,,,,,,,{w.Category("action-plan")},,{w.Actions[0]},Sensory Ltd,INV-1,120.00,Ear defenders
            """;
        var answer = (await w.School.PostRawAsync(Path(id), csv, "text/csv")).Expect(HttpStatusCode.OK);

        var lines = answer.Json["lines"]!.AsArray();
        Assert.Equal(3, lines.Count);
        Assert.Equal(["250.00", "150.00", "120.00"], lines.Select(l => l!["amount"]!.GetValue<string>())); // a day at £250; half a day at October's £300
        Assert.Equal([1, 2, 3], lines.Select(l => l!["lineNo"]!.GetValue<int>()));
        Assert.Equal(450, lines[0]!["minutes"]!.GetValue<long>());
        Assert.Equal("Cover for the autism training, afternoon", lines[1]!["description"]!.GetValue<string>());
        Assert.Equal("520.00", answer.Json["claimed"]!.GetValue<string>());

        // the same lines as a GET reads them, and the import is in the claim's audit trail
        var read = (await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK);
        Assert.Equal(answer.Body, read.Body);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'claim.lines-imported' AND record_id = $1", id));

        // they are the claim's lines like any other: the action-plan line takes its invoice, and the claim submits
        (await w.AttachAsync(id, ClaimWorld.Pdf("INV-1"), "inv-1.pdf", lines[2]!["id"]!.GetValue<long>())).Expect(HttpStatusCode.Created);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AnImportWithBadRows_AddsNoLine_AndNamesEachRowAndField()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id, "STAFF-01", "2026-10-05", days: null, hours: "5");
        var before = (await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK);
        var (cover, time) = (w.Category("staff-cover"), w.Category("contact-time"));
        var csv = $"""
            kind,categoryId,allowanceCategoryId,staffRef,role,activity,date,hours
            staff-time,{cover},{time},STAFF-03,leader,training,2026-10-05,2
            staff-time,{cover},{time},STAFF-04,leader,training,2026-10-05,1.234
            lunch,{cover},,STAFF-05,leader,training,2026-10-05,1
            staff-time,{cover},{time},STAFF-06,head,training,2026-10-05,1
            staff-time,{cover},{time},STAFF-01,leader,training,2026-10-05,3
            staff-time,{cover},{time},STAFF-07,leader,training,2026-13-01,1
            staff-time,{cover},{time},STAFF-09,leader,training,2026-10-06,4
            staff-time,{cover},{time},STAFF-09,leader,training,2026-10-06,4
            staff-time,x{cover},{time},STAFF-10,leader,training,2026-10-06,1
            """;
        var problem = (await w.School.PostRawAsync(Path(id), csv, "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity);
        var errors = problem.Json["errors"]!.AsObject();
        // line 1 is the header; line 2 is good; the others are refused, each for its own reason
        Assert.Equal(
            new[] { "line 3, hours", "line 4, kind", "line 5, role", "line 6, hours", "line 7, date", "line 9, hours", "line 10, categoryId" }.Order(),
            errors.Select(e => e.Key).Order());
        Assert.Contains("full working day", errors["line 6, hours"]![0]!.GetValue<string>()); // with the claim's own 5 hours
        Assert.Contains("full working day", errors["line 9, hours"]![0]!.GetValue<string>()); // with the row above it
        Assert.Contains("give its id, code or name", errors["line 10, categoryId"]![0]!.GetValue<string>());

        var after = (await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK);
        Assert.Equal(before.Body, after.Body); // not even line 2
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM audit_event WHERE action = 'claim.lines-imported' AND record_id = $1", id));
    }

    [Fact]
    public async Task AnActionCanBeNamedByItsNumberInTheAgreedPlan_AndANumberThePlanDoesNotHaveIsRefusedByThatColumn()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var plan = w.Category("action-plan");
        var csv = $"""
            kind,categoryId,actionRef,supplier,invoiceRef,amount
            action-plan,{plan},2,Training Co,INV-7,80.00
            """;
        var line = (await w.School.PostRawAsync(Path(id), csv, "text/csv")).Expect(HttpStatusCode.OK).Json["lines"]!.AsArray().Single()!;
        Assert.Equal(w.Actions[1], line["actionId"]!.GetValue<long>()); // the plan's second action, "Staff training"
        Assert.Equal(2, line["actionRef"]!.GetValue<int>());

        // a number the plan does not have, and an action-plan row with none: each named by the file's own column
        var before = (await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK);
        var bad = $"""
            kind,categoryId,actionRef,supplier,invoiceRef,amount
            action-plan,{plan},1,Sensory Ltd,INV-8,10.00
            action-plan,{plan},9,Sensory Ltd,INV-9,10.00
            action-plan,{plan},,Sensory Ltd,INV-10,10.00
            """;
        var errors = (await w.School.PostRawAsync(Path(id), bad, "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity).Json["errors"]!.AsObject();
        Assert.Equal(["line 3, actionRef", "line 4, actionRef"], errors.Select(e => e.Key).Order());
        Assert.Contains("its actions are 1, 2", errors["line 3, actionRef"]![0]!.GetValue<string>());
        Assert.Equal(before.Body, (await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Body);

        // an action named twice over, and a school with no agreed plan
        (await w.School.PostRawAsync(Path(id), $"kind,categoryId,actionId,actionRef\naction-plan,{plan},{w.Actions[0]},1\n", "text/csv"))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "file");
        var other = await w.NewClaimAsync(w.OtherSchool);
        var none = (await w.OtherSchool.PostRawAsync(Path(other), csv, "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity).Json["errors"]!.AsObject();
        Assert.Contains("no agreed action plan", none["line 2, actionRef"]![0]!.GetValue<string>());
    }

    /// <summary>
    /// A spreadsheet's plain "CSV" on a UK computer is Windows-1252, where "£", "–" and Word's quotes are one byte each;
    /// its "Unicode text" is UTF-16, which some tools write without its mark. Each is read as what it is, not stored as "�"
    /// nor refused for the NUL bytes UTF-16 is full of.
    /// </summary>
    [Fact]
    public async Task AFileSavedAsWindows1252OrUtf16_KeepsItsPoundsDashesAndQuotes()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        const string description = "Cover at £40 a day – “peer review”, Zoë’s class";
        var text = $"kind,categoryId,staffRef,role,activity,date,days,description\n" +
                   $"staff-time,{w.Category("staff-cover")},STAFF-01,leader,training,2026-10-05,1,\"{description}\"\n";
        (await w.School.PostBytesAsync(Path(id), ApiClient.Windows1252(text), "text/csv")).Expect(HttpStatusCode.OK);
        var utf16 = (byte[])[.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(text.Replace("STAFF-01", "STAFF-02").Replace("2026-10-05", "2026-10-06"))];
        (await w.School.PostBytesAsync(Path(id), utf16, "text/csv")).Expect(HttpStatusCode.OK);
        var unmarked = Encoding.BigEndianUnicode.GetBytes(text.Replace("STAFF-01", "STAFF-03").Replace("2026-10-05", "2026-10-07"));
        (await w.School.PostBytesAsync(Path(id), unmarked, "text/csv")).Expect(HttpStatusCode.OK);

        var lines = (await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json["lines"]!.AsArray();
        Assert.Equal([description, description, description], lines.Select(l => l!["description"]!.GetValue<string>()));
        Assert.Equal(3, await Db.ScalarAsync("SELECT count(*) FROM claim_line WHERE description = $1", description));
    }

    [Fact]
    public async Task AFileThatIsNotLines_IsRefusedAsAWhole_AndOnlyADraftOfTheirOwnSchoolTakesLines()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var row = $"staff-time,{w.Category("staff-cover")},STAFF-01,leader,training,2026-10-05,1";
        const string header = "kind,categoryId,staffRef,role,activity,date,days";

        (await w.School.PostRawAsync(Path(id), "", "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "file");
        (await w.School.PostRawAsync(Path(id), header + "\n", "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "file");
        (await w.School.PostRawAsync(Path(id), "kind,colour\nstaff-time,red\n", "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "file");
        (await w.School.PostRawAsync(Path(id), "staffRef,date\nSTAFF-01,2026-10-05\n", "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "file");
        (await w.School.PostRawAsync(Path(id), "kind,Kind\nstaff-time,staff-time\n", "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "file");
        var tooMany = new StringBuilder(header + "\n");
        for (var i = 0; i < 501; i++) tooMany.AppendLine(row);
        (await w.School.PostRawAsync(Path(id), tooMany.ToString(), "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "file");
        // not text a row can hold: a NUL character (PostgreSQL's text cannot), a line past 64 KB; each named by its line
        Assert.Contains("line 2 holds a NUL character", (await w.School.PostRawAsync(Path(id), $"{header},description\n{row},a\u0000b\n", "text/csv"))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "file").Body);
        Assert.Contains("line 2 is longer than this import takes (64 KB a line)", (await w.School.PostRawAsync(Path(id),
            $"{header},description\n{row},{new string('x', 70_000)}\n", "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "file").Body);
        Assert.Empty((await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json["lines"]!.AsArray());

        // as a form's file, as the schools import takes one
        using (var form = new MultipartFormDataContent())
        {
            form.Add(new StringContent(header + "\n" + row + "\n", Encoding.UTF8, "text/csv"), "file", "lines.csv");
            using var response = await w.School.Http.PostAsync(Path(id), form);
            var answer = (await Answer.ReadAsync(response)).Expect(HttpStatusCode.OK);
            Assert.Single(answer.Json["lines"]!.AsArray());
        }

        // another school's business manager, and the claim once submitted
        (await w.OtherSchool.PostRawAsync(Path(id), header + "\n" + row.Replace("STAFF-01", "STAFF-02") + "\n", "text/csv")).ExpectProblem(HttpStatusCode.Forbidden);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        (await w.School.PostRawAsync(Path(id), header + "\n" + row.Replace("STAFF-01", "STAFF-02") + "\n", "text/csv"))
            .ExpectProblem(HttpStatusCode.Conflict, rule: "claim-not-draft");
        Assert.Single((await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json["lines"]!.AsArray());
    }

    /// <summary>
    /// A UK spreadsheet's own ways of writing dates (05/10/2026, day first) and money (£1,120.50) are read as the form
    /// reads them, and a file's problems are listed in the file's order whichever check found them; both were refused, and
    /// a row's wrong date was listed before the row above it.
    /// </summary>
    [Fact]
    public async Task UkSpreadsheetDatesAndMoney_AreRead_AndProblemsComeInTheFilesOrder()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var csv = $"""
            kind,categoryId,allowanceCategoryId,staffRef,role,activity,date,days,actionId,supplier,invoiceRef,amount
            staff-time,staff-cover,contact-time,STAFF-01,leader,training,05/10/2026,1,,,,
            staff-time,staff-cover,contact-time,STAFF-02,leader,training,6/10/2026,0.5,,,,
            action-plan,action-plan,,,,,,,{w.Actions[0]},Sensory Ltd,INV-1,"£1,120.50"
            """;
        var lines = (await w.School.PostRawAsync(Path(id), csv, "text/csv")).Expect(HttpStatusCode.OK).Json["lines"]!.AsArray();
        Assert.Equal(["2026-10-05", "2026-10-06"], lines.Take(2).Select(l => l!["date"]!.GetValue<string>()));
        Assert.Equal("1120.50", lines[2]!["amount"]!.GetValue<string>());

        var other = await w.NewClaimAsync();
        var bad = """
            kind,categoryId,staffRef,role,activity,date,days
            staff-time,staff-cover,STAFF-01,head,training,2026-10-05,1
            staff-time,staff-cover,STAFF-02,leader,training,2026-13-01,1
            """;
        var errors = (await w.School.PostRawAsync(Path(other), bad, "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity).Json["errors"]!.AsObject();
        Assert.Equal(["line 2, role", "line 3, date"], errors.Select(e => e.Key));
        Assert.Contains("05/10/2026", errors["line 3, date"]![0]!.GetValue<string>());
    }
    /// <summary>
    /// An amount typed 1,250.00 in a spreadsheet's cell, saved unquoted, is two fields: the row was read up to the header's
    /// width and the line added at £1.00. A row with more or fewer fields than the header, or a quote never closed, is now
    /// refused by its line, with the other rows' problems, and nothing is added.
    /// </summary>
    [Fact]
    public async Task ARowWithMoreOrFewerFieldsThanTheHeader_IsRefusedByItsLine_SayingHowMany()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var csv = """
            kind,categoryId,actionRef,supplier,invoiceRef,amount
            action-plan,action-plan,2,Calm Spaces Ltd,CS-2231,1,250.00
            action-plan,action-plan,2,Calm Spaces Ltd,CS-2232
            action-plan,action-plan,2,Calm Spaces Ltd,CS-2233,"1,250.00"
            action-plan,action-plan,2,Calm Spaces, Ltd,CS-2234,12.00
            action-plan,action-plan,9,Calm Spaces Ltd,CS-2235,12.00
            """;
        var errors = (await w.School.PostRawAsync(Path(id), csv, "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity).Json["errors"]!.AsObject();
        Assert.Equal(["line 2", "line 3", "line 5", "line 6, actionRef"], errors.Select(e => e.Key));
        var seven = errors["line 2"]![0]!.GetValue<string>();
        Assert.Contains("has 7 fields but the header has 6 columns", seven);
        Assert.Contains("'1,250.00' looks like a number split by its thousands comma; put the amount in quotes or leave out the comma", seven);
        Assert.Contains("has 5 fields but the header has 6 columns", errors["line 3"]![0]!.GetValue<string>());
        Assert.Contains("a value that holds a comma must be in quotes", errors["line 5"]![0]!.GetValue<string>());
        Assert.Empty((await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json["lines"]!.AsArray());

        // a quote opened and never closed swallows the lines below it: said so, by the line it opens on
        var unclosed = """
            kind,categoryId,actionRef,supplier,invoiceRef,amount,description
            action-plan,action-plan,2,Calm Spaces Ltd,CS-2231,12.00,Fine
            action-plan,action-plan,2,Calm Spaces Ltd,CS-2232,12.00,"Ear defenders, 5 pairs
            action-plan,action-plan,2,Calm Spaces Ltd,CS-2233,12.00,Fine
            """;
        var quote = (await w.School.PostRawAsync(Path(id), unclosed, "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity).Json["errors"]!.AsObject();
        Assert.Equal(["line 3"], quote.Select(e => e.Key));
        Assert.Contains("the quote (\") on line 3 is not closed", quote["line 3"]![0]!.GetValue<string>());
        Assert.Empty((await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json["lines"]!.AsArray());
    }

    /// <summary>
    /// A value that cannot be read (an amount, a date) was the only problem told of its row: the row's other fields were
    /// checked on the next attempt. Every problem of every row is told at once, as the README promises.
    /// </summary>
    [Fact]
    public async Task ARowsUnreadableValue_DoesNotHideItsOtherProblems()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var plan = """
            kind,categoryId,supplier,invoiceRef,actionId,amount
            action-plan,99,,,77,abc
            """;
        var errors = (await w.School.PostRawAsync(Path(id), plan, "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity).Json["errors"]!.AsObject();
        Assert.Equal(new[] { "line 2, actionId", "line 2, amount", "line 2, categoryId", "line 2, invoiceRef", "line 2, supplier" },
            errors.Select(e => e.Key).Order());
        Assert.Single(errors["line 2, amount"]!.AsArray()); // not also told it is left out

        var time = """
            kind,categoryId,allowanceCategoryId,staffRef,role,activity,date,hours
            staff-time,99,999,bad ref!,chief,napping,31/04/2026,1
            """;
        errors = (await w.School.PostRawAsync(Path(id), time, "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity).Json["errors"]!.AsObject();
        Assert.Equal(new[] { "line 2, activity", "line 2, allowanceCategoryId", "line 2, categoryId", "line 2, date", "line 2, role", "line 2, staffRef" },
            errors.Select(e => e.Key).Order());
        Assert.Single(errors["line 2, date"]!.AsArray());

        // days that cannot be read are not also told as hours and days left out: "give hours or days (one of them)"
        var days = $"""
            kind,categoryId,allowanceCategoryId,staffRef,role,activity,date,days
            staff-time,staff-cover,contact-time,STAFF-01,leader,training,{w.S.On("10-05")},0.333
            """;
        errors = (await w.School.PostRawAsync(Path(id), days, "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity).Json["errors"]!.AsObject();
        Assert.Equal(["line 2, days"], errors.Select(e => e.Key));
        Assert.Single(errors["line 2, days"]!.AsArray());
        Assert.Empty((await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json["lines"]!.AsArray());
    }

    /// <summary>
    /// A row's problems read as sentences a school business manager understands, with the row's line and the field (its
    /// column too, where the words are not its name): "Line 2: enter the supplier", "Line 2: the amount must be a number of
    /// pounds and pence, such as 1,250.00". They read "line 2, supplier: is required". The API's problem still names each
    /// field by its line and column.
    /// </summary>
    [Fact]
    public async Task ARowsProblems_ReadAsSentences_WithTheirLineAndField_InTheApiAndOnThePage()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var csv = $"""
            kind,categoryId,supplier,invoiceRef,actionId,amount
            action-plan,{w.Category("action-plan")},,,{w.Actions[0]},twelve pounds
            staff-time,{w.Category("staff-cover")},,,,
            """;
        var errors = (await w.School.PostRawAsync(Path(id), csv, "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity).Json["errors"]!.AsObject();
        string Said(string key) => Assert.Single(errors[key]!.AsArray())!.GetValue<string>();
        Assert.Equal("Line 2: enter the supplier", Said("line 2, supplier"));
        Assert.Equal("Line 2: enter the invoice reference (invoiceRef)", Said("line 2, invoiceRef"));
        Assert.Equal("Line 2: the amount must be a number of pounds and pence, such as 1,250.00", Said("line 2, amount"));
        Assert.Equal("Line 3: enter the staff reference (staffRef)", Said("line 3, staffRef"));

        using var page = await Security.PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var url = $"/school/claims/{id}/import";
        // the page lists the values the role, activity and specialist columns take, as the file must write them: it said
        // "as on the form for adding a line", whose labels (Leader, Peer visit) a file is refused for
        var columns = await page.GetStringAsync(url);
        Assert.Contains("leader, teacher, support-staff", columns);
        Assert.Contains("training, peer-visit, shared-learning-network", columns);
        Assert.Contains("occupational-therapist, speech-and-language-therapist", columns);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(Security.PageFormFuzzTests.TokenOf(await page.GetStringAsync(url))), Security.PageFormFuzzTests.Token },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(csv)), "file", "lines.csv" },
        };
        using var answer = await page.PostAsync(url, form);
        var problems = PageForms.Problems(System.Net.WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync()));
        Assert.Contains(("file", "Line 2: enter the supplier"), problems);
        Assert.Contains(("file", "Line 2: the amount must be a number of pounds and pence, such as 1,250.00"), problems);
        Assert.Empty((await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json["lines"]!.AsArray());
    }

    /// <summary>A file saved with semicolons or tabs between its columns was told it had a column named 'kind;categoryId;…'.</summary>
    [Fact]
    public async Task AFileSeparatedBySemicolonsOrTabs_IsToldSo()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var semicolons = (await w.School.PostRawAsync(Path(id), "kind;categoryId;staffRef;role;activity;date;days\nstaff-time;staff-cover;STAFF-01;leader;training;2026-10-05;1\n",
            "text/csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "file");
        Assert.Contains("has its columns separated by semicolons; use commas", semicolons.Body);
        var tabs = (await w.School.PostRawAsync(Path(id), "kind\tcategoryId\tstaffRef\nstaff-time\tstaff-cover\tSTAFF-01\n", "text/csv"))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "file");
        Assert.Contains("has its columns separated by tabs; use commas", tabs.Body);
    }
}
