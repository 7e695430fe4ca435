using System.Net;
using System.Text.RegularExpressions;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Claims;

/// <summary>What the school's and the area lead's claim pages show and offer, found by a review of the running demo.</summary>
public sealed partial class ClaimPagesTests(DatabaseFixture db) : DatabaseTest(db)
{
    private const string Note = "Cover for the autism training, as the lead asked";

    /// <summary>A lead returned a claim asking for a note; the school added it; the lead could not see it: no page showed a line's note.</summary>
    /// <summary>
    /// A claim past its budget is told so on the check page, before the declaration is ticked: the claim's page warned, and the
    /// check page let the school tick and send it, to be refused only then.
    /// </summary>
    [Fact]
    public async Task TheCheckPage_WarnsOfAClaimPastItsBudget_BeforeTheDeclaration()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        await w.AddStaffTimeAsync(id, "STAFF-01", "2026-10-05"); // £250 of £1,000
        Assert.DoesNotContain("id=\"over-budget\"", await Read(school, $"/school/claims/{id}/check"));
        for (var day = 6; day <= 9; day++) await w.AddStaffTimeAsync(id, $"STAFF-0{day - 4}", $"2026-10-0{day}"); // £1,250
        var check = await Read(school, $"/school/claims/{id}/check");
        Assert.Contains("id=\"over-budget\"", check);
        Assert.Matches(@"This claim asks for more than your school has\s+available in [^<]*cover[^<]*, so it cannot be submitted as it is", check);
        Assert.True(check.IndexOf("over-budget", StringComparison.Ordinal) < check.IndexOf("name=\"declaration\"", StringComparison.Ordinal));
        (await w.SubmitAsync(id)).ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "claim-exceeds-available");
    }

    [Fact]
    public async Task ALinesNote_IsShownUnderItsLine_OnEveryPageThatShowsTheLine()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "staff-time", categoryId = w.Category("staff-cover"), staffRef = "STAFF-01", role = "leader", activity = "training",
            date = w.S.On("10-05"), days = 1, description = Note,
        })).Expect(HttpStatusCode.Created);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        using var admin = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Admin.UserName);
        Assert.Contains(Note, await Read(school, $"/school/claims/{id}"));
        Assert.Contains(Note, await Read(school, $"/school/claims/{id}/check"));
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/start-review", null)).Expect(HttpStatusCode.OK);
        Assert.Contains(Note, await Read(lead, $"/review/claims/{id}"));
        Assert.Contains(Note, await Read(lead, $"/review/claims/{id}/approve"));
        Assert.Contains(Note, await Read(admin, $"/ledger/claims/{id}"));
    }

    /// <summary>A claim returned by the programme's second approver was shown to the school as "Your area lead's reason".</summary>
    [Fact]
    public async Task AReturnByTheSecondApprover_IsShownToTheSchoolAsTheSecondApprovers()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await Db.ScalarAsync("UPDATE programme SET second_approval_threshold_pence = 100 WHERE id = $1 RETURNING id", w.S.ProgrammeId);
        var id = await w.UnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", null)).Expect(HttpStatusCode.OK);
        (await w.Admin.PostAsync($"/api/v1/claims/{id}/return", new { reason = "Attach the timesheet" })).Expect(HttpStatusCode.OK);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var page = await Read(school, $"/school/claims/{id}");
        Assert.Contains("The programme's second approver's reason: Attach the timesheet", page);
        Assert.DoesNotContain("area lead's reason", page);

        var byLead = await w.UnderReviewAsync("STAFF-02");
        (await w.Lead.PostAsync($"/api/v1/claims/{byLead}/return", new { reason = "Add a note" })).Expect(HttpStatusCode.OK);
        Assert.Contains("Your area lead's reason: Add a note", await Read(school, $"/school/claims/{byLead}"));
    }

    /// <summary>A draft could not be deleted or moved to another half-term from the pages, though the API could do both.</summary>
    [Fact]
    public async Task ADraft_IsDeletedAfterConfirming_AndMovedToAnOpenHalfTerm_FromItsPage()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var deleted = await w.NewClaimAsync();
        var moved = await w.NewClaimAsync();
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var page = await Read(school, $"/school/claims/{deleted}");
        Assert.Contains($"href=\"/school/claims/{deleted}/delete\"", page);
        Assert.Contains($"href=\"/school/claims/{deleted}/move\"", page);

        Assert.Contains("Are you sure you want to delete", await Read(school, $"/school/claims/{deleted}/delete"));
        var answer = await PostAsync(school, $"/school/claims/{deleted}/delete", []);
        Assert.Equal("/school/claims", answer.Location);
        (await w.School.GetAsync($"/api/v1/claims/{deleted}")).Expect(HttpStatusCode.NotFound);

        var choices = await Read(school, $"/school/claims/{moved}/move");
        Assert.Contains($"value=\"{w.Periods["aut2"]}\"", choices);
        answer = await PostAsync(school, $"/school/claims/{moved}/move", new() { ["periodId"] = w.Periods["aut2"].ToString() });
        Assert.Equal($"/school/claims/{moved}", answer.Location);
        Assert.Equal(w.Periods["aut2"], (await w.School.GetAsync($"/api/v1/claims/{moved}")).Expect(HttpStatusCode.OK).Json["period"]!["id"]!.GetValue<long>());
    }

    /// <summary>
    /// A TLR line is the half-term's sum, dated its first day by the service: a draft holding one could not be moved to another
    /// half-term ("Some lines are dated outside that half-term", naming none, where the school could change no date of it). It
    /// moves with the claim, priced at the rate in force when its new half-term began; a half-term not begun takes no TLR; and a
    /// line of the school's own dating outside the half-term is named, with what to do.
    /// </summary>
    [Fact]
    public async Task ADraftWithATlrLine_MovesToAnotherHalfTerm_ItsTlrDatedAndPricedThere()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        (await w.Admin.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/rates", new { code = "tlr3-period", name = "TLR3", basis = "period", amount = "350.00", effectiveFrom = w.S.On("11-01") }))
            .Expect(HttpStatusCode.Created);
        var id = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new { kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef = "STAFF-09" }))
            .Expect(HttpStatusCode.Created);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);

        var refused = await PostPageAsync(school, $"/school/claims/{id}/move", new() { ["periodId"] = w.Periods["spr1"].ToString() });
        Assert.Contains("Spring 1 has not begun: a TLR is claimed for a half-term once it has begun", refused);
        Assert.Equal(w.Periods["aut1"], (await w.School.GetAsync($"/api/v1/claims/{id}")).Json["period"]!["id"]!.GetValue<long>());

        var answer = await PostAsync(school, $"/school/claims/{id}/move", new() { ["periodId"] = w.Periods["aut2"].ToString() });
        Assert.Equal($"/school/claims/{id}", answer.Location);
        var claim = (await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(w.Periods["aut2"], claim["period"]!["id"]!.GetValue<long>());
        Assert.Equal(w.S.On("11-01"), claim["lines"]![0]!["date"]!.GetValue<string>());
        Assert.Equal("350.00", claim["lines"]![0]!["amount"]!.GetValue<string>());

        await w.AddStaffTimeAsync(id, "STAFF-01", w.S.On("11-20"));
        refused = await PostPageAsync(school, $"/school/claims/{id}/move", new() { ["periodId"] = w.Periods["aut1"].ToString() });
        Assert.Contains("Line 2 is dated outside Autumn 1 (1 Sep 2026 to 31 Oct 2026): change its date or remove it first", refused);
        Assert.Equal(w.Periods["aut2"], (await w.School.GetAsync($"/api/v1/claims/{id}")).Json["period"]!["id"]!.GetValue<long>());
    }

    /// <summary>A draft in a closed half-term said nothing of it, and offered no way on.</summary>
    [Fact]
    public async Task ADraftInAClosedHalfTerm_SaysSo_AndOffersToMoveOrDeleteIt()
    {
        var w = await ClaimWorld.CreateAsync(Db, "2025-26");
        var draft = await w.NewClaimAsync();
        var finance = await w.S.FinanceAsync(Db);
        (await finance.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years/{w.S.YearId}/periods/{w.Periods["aut1"]}/close", null)).Expect(HttpStatusCode.OK);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var page = await Read(school, $"/school/claims/{draft}");
        Assert.Contains("Autumn 1 2025-26 is closed", page);
        Assert.Contains($"href=\"/school/claims/{draft}/delete\"", page);
        Assert.Contains($"href=\"/school/claims/{draft}/move\"", page);
        var choices = await Read(school, $"/school/claims/{draft}/move");
        Assert.DoesNotContain($"value=\"{w.Periods["aut1"]}\"", choices);
        Assert.Contains($"value=\"{w.Periods["aut2"]}\"", choices);
    }

    /// <summary>Evidence could not be removed from the pages; the lead's page listed bare file names, without the line each supports.</summary>
    [Fact]
    public async Task EvidenceIsRemovedFromADraftAfterConfirming_AndTheLeadSeesTheLineEachFileSupports()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var lineId = (await w.AddStaffTimeAsync(id))["lines"]![0]!["id"]!.GetValue<long>();
        // the answer is the claim, its files in the order attached
        var evidenceId = (await w.AttachAsync(id, ClaimWorld.Pdf("T-1"), "timesheet.pdf", lineId)).Expect(HttpStatusCode.Created).Json["evidence"]![0]!["id"]!.GetValue<long>();
        var spare = (await w.AttachAsync(id, ClaimWorld.Pdf("T-2"), "spare.pdf", lineId)).Expect(HttpStatusCode.Created).Json["evidence"]![1]!["id"]!.GetValue<long>();
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var remove = $"/school/claims/{id}/evidence/{spare}/remove";
        Assert.Contains($"href=\"{remove}\"", await Read(school, $"/school/claims/{id}"));
        Assert.Contains("Are you sure you want to remove spare.pdf", await Read(school, remove));
        Assert.Equal($"/school/claims/{id}", (await PostAsync(school, remove, [])).Location);
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM evidence WHERE claim_id = $1", id));
        Assert.Equal(evidenceId, await Db.ScalarAsync("SELECT id FROM evidence WHERE claim_id = $1", id));

        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        Assert.Matches("timesheet.pdf</a>\\s*\\(line 1", await Read(lead, $"/review/claims/{id}"));
    }

    /// <summary>
    /// A file's remove page left open while the claim was submitted in another tab: "Yes, remove the file" was refused in the
    /// API's words in the error summary ("The claim is 'submitted': it changes only through the workflow now…"). It says, as
    /// the claim's upload and import pages do, that the claim can no longer be changed, its status and a link; the file stays.
    /// </summary>
    [Fact]
    public async Task RemovingAFile_FromAClaimSubmittedInAnotherTab_SaysItCanNoLongerBeChanged_AndKeepsTheFile()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var lineId = (await w.AddStaffTimeAsync(id))["lines"]![0]!["id"]!.GetValue<long>();
        var evidenceId = (await w.AttachAsync(id, ClaimWorld.Pdf("T-1"), "timesheet.pdf", lineId)).Expect(HttpStatusCode.Created).Json["evidence"]![0]!["id"]!.GetValue<long>();
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var remove = $"/school/claims/{id}/evidence/{evidenceId}/remove";
        var token = PageFormFuzzTests.TokenOf(await school.GetStringAsync(remove));
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK); // in another tab

        using var answer = await school.PostAsync(remove, new FormUrlEncodedContent(new Dictionary<string, string> { [PageFormFuzzTests.Token] = token }));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var html = WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
        Assert.Contains($"Claim CLM-{id:D6} has been submitted and can no longer be changed. Its status is now <strong class=\"govuk-tag", html);
        Assert.Contains($"href=\"/school/claims/{id}\">Go to claim CLM-{id:D6}</a>", html);
        Assert.DoesNotContain("govuk-error-summary", html);
        Assert.DoesNotContain("changes only through the workflow", html);
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM evidence WHERE claim_id = $1", id));
    }

    /// <summary>The lists gave "Autumn 1" alone, beside another year's claims.</summary>
    [Fact]
    public async Task TheClaimLists_GiveTheHalfTermWithItsYear()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await w.NewClaimAsync();
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        using var admin = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Admin.UserName);
        Assert.Contains("<td class=\"govuk-table__cell\">Autumn 1 2026-27</td>", await Read(school, "/school/claims"));
        Assert.Contains("<td class=\"govuk-table__cell\">Autumn 1 2026-27</td>", await Read(admin, "/ledger/claims"));

        // the lead's queue holds last year's Summer 2 claims beside this year's Autumn 1 claims in September: it said "Autumn 1"
        await w.UnderReviewAsync();
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        Assert.Contains("<td class=\"govuk-table__cell\">Autumn 1 2026-27</td>", await Read(lead, "/review"));
    }

    /// <summary>The second-approval queue and its claim page gave "Autumn 1" alone, where the other lists give its year.</summary>
    [Fact]
    public async Task TheSecondApprovalQueue_AndItsClaimPage_GiveTheHalfTermWithItsYear()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await Db.ScalarAsync("UPDATE programme SET second_approval_threshold_pence = 25000 WHERE id = $1 RETURNING id", w.S.ProgrammeId);
        var id = await w.UnderReviewAsync(); // £250.00 claimed
        var lineId = (await w.Lead.GetAsync($"/api/v1/claims/{id}")).Json["lines"]![0]!["id"]!.GetValue<long>();
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/approve", new { lines = new[] { new { lineId, amount = "249.99", reason = "a penny short" } } }))
            .Expect(HttpStatusCode.OK);
        using var admin = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Admin.UserName);
        var queue = await Read(admin, "/approvals");
        Assert.Contains("<td class=\"govuk-table__cell\">Autumn 1 2026-27</td>", queue);
        // the queue counts what waits (it stopped at 500 without a word), and names each school with its URN
        Assert.Contains(">1 claim waiting for a second approval, oldest first</caption>", queue);
        Assert.Contains($"URN {w.S.Schools[0].Urn}</span>", queue);
        Assert.Matches("<span class=\"govuk-caption-l\">[^<]*, Autumn 1 2026-27</span>", await Read(admin, $"/approvals/claims/{id}"));
    }

    /// <summary>
    /// Schools share names (PINS has seven of each; England many a St Mary's in one ICB): the lead's claim, approve, return
    /// and plan pages and the second approver's claim and decision pages named the school alone, and nobody could tell which.
    /// Each names it with its URN, as the auditor's claim history does.
    /// </summary>
    [Fact]
    public async Task TheLeadsAndTheSecondApproversPages_NameTheSchoolWithItsUrn_ForSchoolsShareNames()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await Db.ScalarAsync("WITH u AS (UPDATE school SET name = 'Riverside Primary School' WHERE programme_id = $1 RETURNING 1) SELECT count(*) FROM u", w.S.ProgrammeId);
        var id = await w.UnderReviewAsync();
        var urn = await Db.TextAsync("SELECT s.urn FROM claim c JOIN school s ON s.id = c.school_id WHERE c.id = $1", id);
        var named = $"Riverside Primary School (URN {urn})";
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        Assert.Contains($"<span class=\"govuk-caption-l\">{named}, Autumn 1 2026-27</span>", await Read(lead, $"/review/claims/{id}"));
        Assert.Contains($"<span class=\"govuk-caption-l\">{named}, Autumn 1 2026-27</span>", await Read(lead, $"/review/claims/{id}/approve"));
        Assert.Contains($"<span class=\"govuk-caption-l\">Claim CLM-{id:D6}, {named}</span>", await Read(lead, $"/review/claims/{id}/decide?action=return"));

        await Db.ScalarAsync("UPDATE programme SET second_approval_threshold_pence = 25000 WHERE id = $1 RETURNING id", w.S.ProgrammeId);
        var second = await w.UnderReviewAsync("STAFF-08", "2026-10-08");
        (await w.Lead.PostAsync($"/api/v1/claims/{second}/approve", null)).Expect(HttpStatusCode.OK);
        using var admin = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Admin.UserName);
        Assert.Contains($"<span class=\"govuk-caption-l\">{named}, Autumn 1 2026-27</span>", await Read(admin, $"/approvals/claims/{second}"));
        Assert.Contains($"<span class=\"govuk-caption-l\">Claim CLM-{second:D6}, {named}, £250.00</span>", await Read(admin, $"/approvals/claims/{second}/decide?action=return"));
    }

    /// <summary>The lead's claim and approve pages and the auditor's claim history captioned "Autumn 1" alone too.</summary>
    [Fact]
    public async Task TheLeadsAndTheAuditorsClaimPages_CaptionTheHalfTermWithItsYear()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        using var auditor = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await w.S.AuditorAsync(Db)).UserName);
        foreach (var (page, url) in new[] { (lead, $"/review/claims/{id}"), (lead, $"/review/claims/{id}/approve"), (auditor, $"/ledger/claims/{id}") })
            Assert.Matches("<span class=\"govuk-caption-l\">[^<]*, Autumn 1 2026-27</span>", await Read(page, url));
    }

    /// <summary>
    /// The school's add-line, check, delete and withdraw pages gave "Autumn 1" alone (the caption, the check's Half-term row,
    /// the date's hint), where the claim's own page and its list say "Autumn 1 2026-27".
    /// </summary>
    [Fact]
    public async Task TheSchoolsLineCheckDeleteAndWithdrawPages_GiveTheHalfTermWithItsYear()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var lineId = (await w.AddStaffTimeAsync(id))["lines"]![0]!["id"]!.GetValue<long>();
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        Assert.Contains($"<span class=\"govuk-caption-l\">Claim CLM-{id:D6}, Autumn 1 2026-27</span>", await Read(school, $"/school/claims/{id}/line"));
        Assert.Contains("It must fall in Autumn 1 2026-27, ", await Read(school, $"/school/claims/{id}/line?lineId={lineId}"));
        Assert.Contains(">Autumn 1 2026-27 (", await Read(school, "/school/claims/new"));
        Assert.Contains("<dd class=\"govuk-summary-list__value\">Autumn 1 2026-27</dd>", await Read(school, $"/school/claims/{id}/check"));
        Assert.Matches("<span class=\"govuk-caption-l\">Autumn 1 2026-27, [^<]*</span>", await Read(school, $"/school/claims/{id}/delete"));
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        Assert.Matches("<span class=\"govuk-caption-l\">Autumn 1 2026-27, [^<]*</span>", await Read(school, $"/school/claims/{id}/withdraw"));
    }

    /// <summary>
    /// The check page of a claim of staff time alone (a specialist's day, paid from no budget) gave its line and its Total as
    /// a bare £0.00, where the claim's page and the confirmation say '1 day of your school's … allowance'.
    /// </summary>
    [Fact]
    public async Task TheCheckPage_OfAClaimOfStaffTimeAlone_SaysItsTime_NotABareNothing()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddSpecialistDayAsync(id);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var check = await Read(school, $"/school/claims/{id}/check");
        var claimed = Regex.Match(await Read(school, $"/school/claims/{id}"), "Claimed</dt><dd class=\"govuk-summary-list__value\">([^<]+)</dd>").Groups[1].Value;
        Assert.StartsWith("1 day of your school's ", claimed);
        Assert.Contains($"id=\"total\" tabindex=\"-1\">{claimed}</dd>", check);
        Assert.Contains($"<dd class=\"govuk-summary-list__value\">{claimed}, ", check); // the line
        Assert.DoesNotContain("£0.00", check);

        // money and time: the line and the total give both
        var both = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(both);
        check = await Read(school, $"/school/claims/{both}/check");
        Assert.Matches("id=\"total\" tabindex=\"-1\">£250.00 of your school's budget and 1 day of its [^<]+ allowance</dd>", check);
        Assert.Matches("<dd class=\"govuk-summary-list__value\">£250.00 and 1 day of your school's [^<]+ allowance, STAFF-01, ", check);
    }

    /// <summary>Wording the pages gave: "Line 1: Tlr", "Tlr admin", sizes as bytes/1024+1, and the API's "The claim is 'submitted': …".</summary>
    [Fact]
    public async Task TheWording_NamesKindsAsThePagesDo_SizesFilesProperly_AndSaysASubmittedClaimsLinesCannotChange()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new { kind = "tlr", categoryId = w.Category("tlr-admin"), staffRef = "T7" })).Expect(HttpStatusCode.Created);
        var lineId = (await w.AddStaffTimeAsync(id))["lines"]![1]!["id"]!.GetValue<long>();
        (await w.AttachAsync(id, [.. ClaimWorld.Pdf("x"), .. new byte[45 - ClaimWorld.Pdf("x").Length]], "small.pdf")).Expect(HttpStatusCode.Created);
        (await w.AttachAsync(id, [.. ClaimWorld.Pdf("y"), .. new byte[1024 - ClaimWorld.Pdf("y").Length]], "kilobyte.pdf")).Expect(HttpStatusCode.Created);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);

        var picker = await Read(school, $"/school/claims/{id}/evidence");
        Assert.Contains("Line 1: TLR3 payment", picker);
        Assert.DoesNotContain("Tlr", picker);
        Assert.DoesNotContain("Tlr", await Read(school, $"/school/claims/{id}/import"));
        var claim = await Read(school, $"/school/claims/{id}");
        Assert.Contains("small.pdf</a> (whole claim, 45 bytes)", claim);
        Assert.Contains("kilobyte.pdf</a> (whole claim, 1 KB)", claim);

        var token = PageFormFuzzTests.TokenOf(await school.GetStringAsync($"/school/claims/{id}"));
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK); // in another tab
        using var removed = await school.PostAsync($"/school/claims/{id}?handler=RemoveLine", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [PageFormFuzzTests.Token] = token, ["lineId"] = lineId.ToString(),
        }));
        var html = WebUtility.HtmlDecode(await removed.Content.ReadAsStringAsync());
        Assert.Contains("This claim has already been submitted, so its lines can no longer be changed.", PageForms.Problems(html).Select(p => p.Text));
        Assert.Contains($"href=\"/school/claims/{id}\"", html);
        Assert.DoesNotContain("changes only through the workflow", html);
    }

    /// <summary>The confirmation linked only to the list; "Change line 1" from the check page led back to the claim's page, not the check page.</summary>
    [Fact]
    public async Task TheCheckPagesChange_ReturnsToTheCheckPage_AndTheConfirmationLinksToTheClaim()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var lineId = (await w.AddStaffTimeAsync(id))["lines"]![0]!["id"]!.GetValue<long>();
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var check = await school.GetStringAsync($"/school/claims/{id}/check");
        var change = WebUtility.HtmlDecode(ChangeLink().Matches(check).Select(m => m.Groups[1].Value).Single(h => h.Contains($"lineId={lineId}")));
        var answer = await PostAsync(school, change, new()
        {
            ["kind"] = "staff-time", ["staffRef"] = "STAFF-01", ["role"] = "leader", ["activity"] = "training",
            ["date-day"] = "5", ["date-month"] = "10", ["date-year"] = "2026", ["days"] = "0.5", ["categoryId"] = w.Category("staff-cover").ToString(),
        });
        Assert.Equal($"/school/claims/{id}/check", answer.Location);

        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        Assert.Contains($"href=\"/school/claims/{id}\"", await Read(school, $"/school/claims/{id}/submitted"));
    }

    /// <summary>
    /// The check page's evidence Change link led to the upload page, which went back, and after the upload on, to the claim's
    /// page rather than to the check (as a line's Change does); and the check page linked nowhere else: a claim refused for
    /// having no line offered no way to add one.
    /// </summary>
    [Fact]
    public async Task TheCheckPagesEvidenceChange_ReturnsToTheCheckPage_AndTheCheckPageLeadsBackToTheClaim()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var check = await Read(school, $"/school/claims/{id}/check");
        Assert.Contains($"href=\"/school/claims/{id}\">Back to the claim</a>", check);
        var change = $"/school/claims/{id}/evidence?from=check";
        Assert.Contains($"href=\"{change}\"", check);
        var upload = await Read(school, change);
        Assert.Contains($"href=\"/school/claims/{id}/check\">Back to check your answers</a>", upload);

        using var form = new MultipartFormDataContent();
        foreach (var (name, value) in PageFormFuzzTests.UploadFormFields(upload).Where(f => f.Name != "lineId")) form.Add(new StringContent(value), name);
        form.Add(new StringContent("claim"), "lineId");
        form.Add(new ByteArrayContent(ClaimWorld.Pdf("timesheet")), "file", "timesheet.pdf");
        using var answer = await school.PostAsync(change, form);
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal($"/school/claims/{id}/check", answer.Headers.Location?.OriginalString);
        Assert.Contains("timesheet.pdf", await Read(school, $"/school/claims/{id}/check"));
    }

    /// <summary>
    /// The lead's page of a school's claim (linked from the school's page in the area, drafts among its claims) gave a draft
    /// never sent a "Submitted" row with nothing in it.
    /// </summary>
    [Fact]
    public async Task TheLeadsPageOfADraft_SaysItHasNotBeenSubmitted()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        Assert.Contains($"href=\"/review/claims/{id}?from=school\"", await Read(lead, $"/review/schools/{w.S.Schools[0].Id}"));
        Assert.Matches(@"<dt class=""govuk-summary-list__key"">Submitted</dt><dd class=""govuk-summary-list__value"">Not submitted yet</dd>",
            await Read(lead, $"/review/claims/{id}"));
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        Assert.DoesNotContain("Not submitted yet", await Read(lead, $"/review/claims/{id}"));
    }

    /// <summary>
    /// A submitted claim's upload page (a bookmark, a tab opened before it was sent) offered the form, and an upload then
    /// answered in the API's words ("The claim is 'approved': it changes only through the workflow now"); its import page
    /// answered "You cannot use this page … the record belongs to another school". Both now say, as adding a line does, that
    /// the claim has been submitted and can no longer be changed, and link to it, with no form; a file posted writes nothing.
    /// </summary>
    [Fact]
    public async Task ASubmittedClaimsUploadAndImportPages_SayItCanNoLongerBeChanged()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        foreach (var page in new[] { $"/school/claims/{id}/evidence", $"/school/claims/{id}/import", $"/school/claims/{id}/line" })
        {
            using var shown = await school.GetAsync(page);
            Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
            var html = WebUtility.HtmlDecode(await shown.Content.ReadAsStringAsync());
            Assert.Contains($"Claim CLM-{id:D6} is under review and can no longer be changed", html);
            Assert.Contains($"href=\"/school/claims/{id}\">Go to claim CLM-{id:D6}</a>", html);
            Assert.DoesNotContain("type=\"file\"", html);
        }
        foreach (var page in new[] { $"/school/claims/{id}/evidence", $"/school/claims/{id}/import" })
        {
            using var form = new MultipartFormDataContent
            {
                { new StringContent(PageFormFuzzTests.TokenOf(await school.GetStringAsync($"/school/claims/{id}"))), PageFormFuzzTests.Token },
                { new ByteArrayContent(page.EndsWith("import") ? "kind,staffRef\ntlr,T1\n"u8.ToArray() : ClaimWorld.Pdf("late")), "file", "late.pdf" },
            };
            using var answer = await school.PostAsync(page, form);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Contains("can no longer be changed", WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync()));
        }
        var claim = (await w.School.GetAsync($"/api/v1/claims/{id}")).Expect(HttpStatusCode.OK).Json;
        Assert.Empty(claim["evidence"]!.AsArray());
        Assert.Single(claim["lines"]!.AsArray());
    }

    /// <summary>
    /// A claim's add-line, upload and import pages reached once it is no longer a draft said it "has been submitted" whatever
    /// became of it: withdrawn, approved or rejected since. They say where it stands, in the words the pages give its status
    /// ("has been withdrawn", "is awaiting a second approval"), and so does a line's Remove posted from a page left open.
    /// </summary>
    [Fact]
    public async Task AClaimNoLongerADraft_ItsPagesThatChangeIt_SayWhatBecameOfIt()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await Db.ScalarAsync("UPDATE programme SET second_approval_threshold_pence = 50000 WHERE id = $1 RETURNING id", w.S.ProgrammeId);
        async Task<long> SubmittedAsync(string staff)
        {
            var id = await w.NewClaimAsync();
            await w.AddStaffTimeAsync(id, staff);
            (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
            return id;
        }
        var submitted = await SubmittedAsync("STAFF-11");
        var withdrawn = await SubmittedAsync("STAFF-12");
        (await w.School.PostAsync($"/api/v1/claims/{withdrawn}/withdraw", null)).Expect(HttpStatusCode.OK);
        var approved = await w.UnderReviewAsync("STAFF-13");
        (await w.Lead.PostAsync($"/api/v1/claims/{approved}/approve", null)).Expect(HttpStatusCode.OK);
        var rejected = await w.UnderReviewAsync("STAFF-14");
        (await w.Lead.PostAsync($"/api/v1/claims/{rejected}/reject", new { reason = "no timesheet" })).Expect(HttpStatusCode.OK);
        var (awaiting, _) = await w.TwoLinesUnderReviewAsync(); // £500.00, at the threshold
        (await w.Lead.PostAsync($"/api/v1/claims/{awaiting}/approve", null)).Expect(HttpStatusCode.OK);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        foreach (var (id, became) in new[]
        {
            (submitted, "has been submitted"), (withdrawn, "has been withdrawn"), (approved, "has been approved"),
            (rejected, "has been rejected"), (awaiting, "is awaiting a second approval"),
        })
            foreach (var page in new[] { $"/school/claims/{id}/evidence", $"/school/claims/{id}/import", $"/school/claims/{id}/line" })
                Assert.Contains($"Claim CLM-{id:D6} {became} and can no longer be changed. Its status is now", await Read(school, page));

        // a line's Remove posted from the claim's page left open while it was submitted and withdrawn in another tab
        var lineId = (await w.School.GetAsync($"/api/v1/claims/{withdrawn}")).Json["lines"]![0]!["id"]!.GetValue<long>();
        var token = PageFormFuzzTests.TokenOf(await school.GetStringAsync($"/school/claims/{withdrawn}"));
        using var removed = await school.PostAsync($"/school/claims/{withdrawn}?handler=RemoveLine", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [PageFormFuzzTests.Token] = token, ["lineId"] = lineId.ToString(),
        }));
        Assert.Contains("This claim has already been withdrawn, so its lines can no longer be changed.",
            PageForms.Problems(WebUtility.HtmlDecode(await removed.Content.ReadAsStringAsync())).Select(p => p.Text));
    }

    /// <summary>
    /// The approve page showed each line only as "Line 2: Staff time, £250.00 claimed": to decide an amount the lead went back
    /// to the claim's page for who, when, how long and at what rate, and for the line's files.
    /// </summary>
    [Fact]
    public async Task TheApprovePage_ShowsEachLinesDetailsAndFiles_BesideItsAmount()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        var line = (await w.AddStaffTimeAsync(id, "STAFF-01", "2026-10-05"))["lines"]![0]!["id"]!.GetValue<long>();
        await w.AddStaffTimeAsync(id, "STAFF-02", "2026-10-06", days: null, hours: "3");
        (await w.AttachAsync(id, ClaimWorld.Pdf("T-1"), "timesheet.pdf", line)).Expect(HttpStatusCode.Created);
        var copy = await w.NewClaimAsync(period: "aut2"); // the same timesheet on another of the school's claims
        (await w.AttachAsync(copy, ClaimWorld.Pdf("T-1"), "timesheet-again.pdf")).Expect(HttpStatusCode.Created);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/start-review", null)).Expect(HttpStatusCode.OK);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        var before = await Read(lead, $"/review/claims/{id}/approve");
        var first = Fieldset(before, 1);
        var second = Fieldset(before, 2);
        Assert.Contains("STAFF-01", first);
        Assert.Contains("5 Oct 2026", first);
        Assert.Contains("1 day", first);
        Assert.DoesNotContain("STAFF-02", first);
        Assert.Contains("STAFF-02", second);
        Assert.Contains("6 Oct 2026", second);
        Assert.Contains(new GrantLedger.Core.Money.Minutes(180).ToString(), second); // three hours, as a day's share
        Assert.Contains("timesheet.pdf", first);
        Assert.Contains("href=\"/evidence/", first);
        Assert.Contains($"Also on claim {copy}", first);
        Assert.DoesNotContain("timesheet.pdf", second);
        Assert.Contains("No file attached to this line", second);
    }

    /// <summary>
    /// A specialist's line has no staff reference, and its particulars began with a comma (", Occupational therapist, 5 Oct
    /// 2026, 1 day at £450.00 a day") on the school's claim page, the lead's and the approve page.
    /// </summary>
    [Fact]
    public async Task ASpecialistsLine_ReadsWithoutALeadingComma_WhereverItsParticularsAreShown()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        (await w.School.PostAsync($"/api/v1/claims/{id}/lines", new
        {
            kind = "specialist-days", categoryId = w.Category("staff-cover"), allowanceCategoryId = w.Category("contact-time"),
            specialist = "occupational-therapist", date = w.S.On("10-05"), days = 1,
        })).Expect(HttpStatusCode.Created);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        var pages = new List<string> { await Read(school, $"/school/claims/{id}") };
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{id}/start-review", null)).Expect(HttpStatusCode.OK);
        pages.Add(await Read(lead, $"/review/claims/{id}"));
        pages.Add(await Read(lead, $"/review/claims/{id}/approve"));
        foreach (var page in pages)
        {
            Assert.Contains("<span>Occupational therapist</span><span>, 5 Oct 2026</span>", page);
            Assert.DoesNotContain("<span>, Occupational therapist", page);
        }
    }

    /// <summary>
    /// The submission's confirmation ("We have reserved £X of your school's budget") left out the staff time the claim held,
    /// and a claim of specialist days paid from no budget said "£0.00". It says what was reserved as the dashboard counts it:
    /// the money, and each allowance's time in days or hours as the dashboard writes it, a part that is zero left out; and the
    /// withdrawal's warning says the same goes back.
    /// </summary>
    [Fact]
    public async Task TheSubmissionsConfirmation_SaysTheMoneyAndStaffTimeReserved_LeavingOutWhatIsZero()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        async Task<string> SubmittedAsync(long id)
        {
            (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
            return await Read(school, $"/school/claims/{id}/submitted");
        }

        var daysOnly = await w.NewClaimAsync();
        await w.AddSpecialistDayAsync(daysOnly);
        var page = await SubmittedAsync(daysOnly);
        Assert.Contains("We have reserved 1 day of your school's contact-time allowance for this claim.", page);
        Assert.DoesNotContain("£0.00", page);
        page = await Read(school, $"/school/claims/{daysOnly}/withdraw"); // the withdrawal gives it back, as it said "The £0.00"
        Assert.Contains("What it reserves, 1 day of your school's contact-time allowance, goes back;", page);
        Assert.DoesNotContain("£0.00", page);

        var both = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(both, "STAFF-02", days: null, hours: "2.5");
        Assert.Contains("We have reserved £83.33 of your school's budget and 2.5 hours of its contact-time allowance for this claim.", await SubmittedAsync(both));

        var moneyOnly = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(moneyOnly, "STAFF-03", allowance: false);
        Assert.Contains("We have reserved £250.00 of your school's budget for this claim.", await SubmittedAsync(moneyOnly));
    }

    /// <summary>
    /// The reviewer's confirmation panel gave a bare bold amount: for a claim returned or rejected what was claimed, for one
    /// approved for less what was approved, neither labelled. The lead's and the second approver's panels now say which it is,
    /// and the staff time the claim takes from the school's allowance beside the money.
    /// </summary>
    [Fact]
    public async Task TheDecisionsConfirmationPanel_LabelsItsAmount_AsFitsTheOutcome()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        async Task<string> PanelAsync(HttpClient page, string url) =>
            Regex.Match(await Read(page, url), "<div class=\"govuk-panel__body\">(.*?)</div>", RegexOptions.Singleline).Groups[1].Value;

        var (reduced, lines) = await w.TwoLinesUnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{reduced}/approve", new { lines = new[] { new { lineId = lines[1], amount = "200.00", reason = "half a day" } } }))
            .Expect(HttpStatusCode.OK);
        Assert.Equal($"Claim CLM-{reduced:D6}<br><strong>Approved: £450.00 of £500.00 claimed and 2 days of the school's contact-time allowance</strong>", await PanelAsync(lead, $"/review/claims/{reduced}/done"));

        var full = await w.UnderReviewAsync("STAFF-13");
        (await w.Lead.PostAsync($"/api/v1/claims/{full}/approve", null)).Expect(HttpStatusCode.OK);
        Assert.Equal($"Claim CLM-{full:D6}<br><strong>Approved: £250.00 and 1 day of the school's contact-time allowance</strong>", await PanelAsync(lead, $"/review/claims/{full}/done"));

        var returned = await w.UnderReviewAsync("STAFF-14");
        (await w.Lead.PostAsync($"/api/v1/claims/{returned}/return", new { reason = "Attach the timesheet" })).Expect(HttpStatusCode.OK);
        Assert.Equal($"Claim CLM-{returned:D6}<br><strong>Claimed: £250.00 and 1 day of the school's contact-time allowance</strong>", await PanelAsync(lead, $"/review/claims/{returned}/done"));
        var rejected = await w.UnderReviewAsync("STAFF-05");
        (await w.Lead.PostAsync($"/api/v1/claims/{rejected}/reject", new { reason = "Not programme work" })).Expect(HttpStatusCode.OK);
        Assert.Equal($"Claim CLM-{rejected:D6}<br><strong>Claimed: £250.00 and 1 day of the school's contact-time allowance</strong>", await PanelAsync(lead, $"/review/claims/{rejected}/done"));

        await Db.ScalarAsync("UPDATE programme SET second_approval_threshold_pence = 100 WHERE id = $1 RETURNING id", w.S.ProgrammeId);
        var second = await w.UnderReviewAsync("STAFF-06");
        var line = (await w.Lead.GetAsync($"/api/v1/claims/{second}")).Json["lines"]![0]!["id"]!.GetValue<long>();
        (await w.Lead.PostAsync($"/api/v1/claims/{second}/approve", new { lines = new[] { new { lineId = line, amount = "200.00", reason = "a shorter day" } } }))
            .Expect(HttpStatusCode.OK);
        Assert.Equal($"Claim CLM-{second:D6}<br><strong>Approved: £200.00 of £250.00 claimed and 1 day of the school's contact-time allowance</strong>", await PanelAsync(lead, $"/review/claims/{second}/done"));
        (await w.Admin.PostAsync($"/api/v1/claims/{second}/second-approve", null)).Expect(HttpStatusCode.OK);
        using var admin = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Admin.UserName);
        Assert.Equal($"Claim CLM-{second:D6}<br><strong>Approved: £200.00 of £250.00 claimed and 1 day of the school's contact-time allowance</strong>", await PanelAsync(admin, $"/approvals/claims/{second}/done"));
    }

    /// <summary>The delete-draft warning said "its 0 lines and its 0 evidence files are deleted" of an empty draft.</summary>
    [Fact]
    public async Task TheDeleteDraftWarning_CountsLinesAndFiles_AsEnglishDoesForNoneOneAndMany()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        async Task<string> WarningAsync(long id) =>
            Regex.Match(await Read(school, $"/school/claims/{id}/delete"), "<span class=\"govuk-visually-hidden\">Warning</span>(.*?)</strong>", RegexOptions.Singleline).Groups[1].Value;

        var empty = await w.NewClaimAsync();
        Assert.Equal("The draft is deleted. This cannot be undone.", await WarningAsync(empty));

        var one = await w.NewClaimAsync();
        var line = (await w.AddStaffTimeAsync(one))["lines"]![0]!["id"]!.GetValue<long>();
        Assert.Equal("The draft and its line are deleted. This cannot be undone.", await WarningAsync(one));
        (await w.AttachAsync(one, ClaimWorld.Pdf("T-1"), "timesheet.pdf", line)).Expect(HttpStatusCode.Created);
        Assert.Equal("The draft, its line and its evidence file are deleted. This cannot be undone.", await WarningAsync(one));

        var many = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(many, "STAFF-02");
        await w.AddStaffTimeAsync(many, "STAFF-03");
        (await w.AttachAsync(many, ClaimWorld.Pdf("T-2"), "a.pdf")).Expect(HttpStatusCode.Created);
        (await w.AttachAsync(many, ClaimWorld.Pdf("T-3"), "b.pdf")).Expect(HttpStatusCode.Created);
        Assert.Equal("The draft, its 2 lines and its 2 evidence files are deleted. This cannot be undone.", await WarningAsync(many));
    }

    /// <summary>
    /// A new draft's page showed an empty lines table with a £0.00 total and no sentence; the lead's page of a draft never
    /// sent alike. Each says the claim has no lines yet, and the school's says how to add one.
    /// </summary>
    [Fact]
    public async Task ANewDraftsPage_SaysItHasNoLinesYet_AndHowToAddOne()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var page = await Read(school, $"/school/claims/{id}");
        Assert.Contains("This claim has no lines yet. Add a line for each piece of work or spending you are claiming for, "
                        + "or import several from a spreadsheet.", page);
        Assert.Contains($"href=\"/school/claims/{id}/line\">Add a line</a>", page);
        Assert.DoesNotContain("<table class=\"govuk-table\" id=\"lines\">", page);

        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        page = await Read(lead, $"/review/claims/{id}");
        Assert.Contains("This claim has no lines yet.", page);
        Assert.DoesNotContain("Add a line", page);

        await w.AddStaffTimeAsync(id);
        page = await Read(school, $"/school/claims/{id}");
        Assert.Contains("<table class=\"govuk-table\" id=\"lines\">", page);
        Assert.DoesNotContain("no lines yet", page);
    }

    /// <summary>A claim's history named who started it without their role ("Started | Jo Bloggs"), where every other row gives it.</summary>
    [Fact]
    public async Task AClaimsHistory_GivesTheRoleOfWhoStartedIt_AsItsOtherRowsDo()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        var schoolName = await Db.DataSource.CreateCommand($"SELECT display_name FROM app_user WHERE id = {w.School.UserId}").ExecuteScalarAsync() as string;
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        using var admin = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Admin.UserName);
        foreach (var page in new[] { await Read(lead, $"/review/claims/{id}"), await Read(admin, $"/ledger/claims/{id}") })
        {
            var history = Regex.Match(page, "<table class=\"govuk-table\" id=\"history\">.*?</table>", RegexOptions.Singleline).Value;
            Assert.Contains($"<td class=\"govuk-table__cell\">Started</td><td class=\"govuk-table__cell\">{schoolName} (school business manager)</td>", history);
            Assert.Equal(2, Regex.Matches(history, Regex.Escape($"{schoolName} (school business manager)")).Count); // the submission's row alike
        }
    }

    /// <summary>
    /// A lead who opened a claim from a school's page in their area (/review/schools/{id}) was sent back to the review queue
    /// by its Back link, and by the approve, return and done pages after it. Opened from there (?from=school), the claim's
    /// pages keep it, through starting the review, approving and returning, and go back to the school's page, of the claim's
    /// year; opened from the queue, or with any other from (a hostile address among them), they go back to the queue as before.
    /// </summary>
    [Fact]
    public async Task AClaimOpenedFromItsSchoolsPage_GoesBackToTheSchool_ThroughItsReviewPages()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(id);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        var other = await w.UnderReviewAsync("STAFF-02", w.S.On("10-06"));
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        var s0 = w.S.Schools[0];
        var school = $"href=\"/review/schools/{s0.Id}?year={w.S.YearId}\">Back to School {s0.Urn}</a>";
        const string queue = "href=\"/review\">Back to the review queue</a>";

        Assert.Contains($"href=\"/review/claims/{id}?from=school\"", await Read(lead, $"/review/schools/{s0.Id}"));
        var page = await Read(lead, $"/review/claims/{id}?from=school");
        Assert.Contains(school, page);
        Assert.DoesNotContain(queue, page);
        var start = Regex.Match(page, "<form method=\"post\" action=\"([^\"]*handler=StartReview[^\"]*)\"").Groups[1].Value;
        Assert.Contains("from=school", start);
        Assert.Equal($"/review/claims/{id}?handler=StartReview", Regex.Match(await Read(lead, $"/review/claims/{id}?from=x"), "action=\"([^\"]*handler=StartReview[^\"]*)\"").Groups[1].Value);
        using (var started = await lead.PostAsync(start, new FormUrlEncodedContent(new Dictionary<string, string> { [PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(page) })))
            Assert.Equal($"/review/claims/{id}?from=school", started.Headers.Location?.OriginalString);

        page = await Read(lead, $"/review/claims/{id}?from=school");
        Assert.Contains($"href=\"/review/claims/{id}/approve?from=school\"", page);
        Assert.Contains($"href=\"/review/claims/{id}/decide?action=return&from=school\"", page);
        Assert.Contains($"href=\"/review/claims/{id}/decide?action=reject&from=school\"", page);
        foreach (var url in new[] { $"/review/claims/{id}/approve?from=school", $"/review/claims/{id}/decide?action=return&from=school" })
            Assert.Contains($"href=\"/review/claims/{id}?from=school\">Back to the claim</a>", await Read(lead, url));
        Assert.Contains($"href=\"/review/claims/{id}\"", await Read(lead, "/review")); // the queue's link carries nothing
        page = await Read(lead, $"/review/claims/{id}/approve?from=https%3A%2F%2Fevil.example");
        Assert.DoesNotMatch("href=\"[^\"]*//evil", page);
        Assert.Contains($"href=\"/review/claims/{id}\">Back to the claim</a>", page);
        var line = (await w.Lead.GetAsync($"/api/v1/claims/{id}")).Json["lines"]![0]!["id"]!.GetValue<long>();
        Assert.Equal($"/review/claims/{id}/done?from=school",
            (await PostAsync(lead, $"/review/claims/{id}/approve?from=school", new() { [$"amount-{line}"] = "250.00" })).Location);
        page = await Read(lead, $"/review/claims/{id}/done?from=school");
        Assert.Contains(school, page);
        Assert.DoesNotContain(queue, page);
        Assert.Equal($"/review/claims/{other}/done?from=school",
            (await PostAsync(lead, $"/review/claims/{other}/decide?action=return&from=school", new() { ["reason"] = "Attach the timesheet" })).Location);
        Assert.Contains(school, await Read(lead, $"/review/claims/{other}/done?from=school"));

        // from the queue, or any other from: back to the queue, and nothing carried on
        foreach (var from in new[] { "", "?from=queue", "?from=https%3A%2F%2Fevil.example%2Fx", "?from=%2F%2Fevil.example", $"?from={s0.Id}", "?from=school2" })
        {
            foreach (var url in new[] { $"/review/claims/{id}{from}", $"/review/claims/{id}/done{from}", $"/review/claims/{other}{from}" })
            {
                page = await Read(lead, url);
                Assert.Contains(queue, page);
                Assert.DoesNotContain("Back to School", page);
                Assert.DoesNotMatch("href=\"[^\"]*//evil", page); // (the layout's password link carries the page's own address, encoded)
            }
        }
    }

    /// <summary>
    /// A claim of staff time alone (a specialist's day from the school's allowance, no money) read "Claimed £0.00" on the
    /// school's page, "£0.00" in the lead's queue and "Approved: £0.00" or "Claimed: £0.00" on the decision's panel: nothing
    /// claimed, to whoever read it. Each says what the claim holds as the submission's confirmation does, the money and each
    /// allowance's time, a part that is zero left out; the queue, short, its staff time.
    /// </summary>
    [Fact]
    public async Task AClaimOfStaffTimeAlone_SaysItsTime_OnTheSchoolsPage_TheQueue_AndTheDecisionsPanel()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        async Task<long> TimeOnlyAsync(string date)
        {
            var id = await w.NewClaimAsync();
            await w.AddSpecialistDayAsync(id, date);
            return id;
        }
        static string Row(string page, string key) =>
            Regex.Match(page, $"<dt class=\"govuk-summary-list__key\">{key}</dt><dd class=\"govuk-summary-list__value\">(.*?)</dd>").Groups[1].Value;
        async Task<string> PanelAsync(long id) =>
            Regex.Match(await Read(lead, $"/review/claims/{id}/done"), "<div class=\"govuk-panel__body\">(.*?)</div>", RegexOptions.Singleline).Groups[1].Value;
        string QueueCell(string queue, long id) =>
            Regex.Match(queue, $"CLM-{id:D6}</a></td>.*?<td class=\"govuk-table__cell govuk-table__cell--numeric\">(.*?)</td>", RegexOptions.Singleline).Groups[1].Value;

        var approved = await TimeOnlyAsync(w.S.On("10-05"));
        Assert.Equal("1 day of your school's contact-time allowance", Row(await Read(school, $"/school/claims/{approved}"), "Claimed"));
        (await w.SubmitAsync(approved)).Expect(HttpStatusCode.OK);
        var returned = await TimeOnlyAsync(w.S.On("10-06"));
        (await w.SubmitAsync(returned)).Expect(HttpStatusCode.OK);
        var both = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(both, "STAFF-02", w.S.On("10-07"), days: null, hours: "2.5");
        (await w.SubmitAsync(both)).Expect(HttpStatusCode.OK);
        var moneyOnly = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(moneyOnly, "STAFF-03", allowance: false);
        (await w.SubmitAsync(moneyOnly)).Expect(HttpStatusCode.OK);

        var queue = await Read(lead, "/review");
        Assert.Equal("1 day of staff time", QueueCell(queue, approved));
        Assert.Equal("£83.33<br><span class=\"govuk-body-s\">and 2.5 hours of staff time</span>", QueueCell(queue, both));
        Assert.Equal("£250.00", QueueCell(queue, moneyOnly));

        foreach (var id in new[] { approved, returned }) (await w.Lead.PostAsync($"/api/v1/claims/{id}/start-review", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{approved}/approve", null)).Expect(HttpStatusCode.OK);
        Assert.Equal($"Claim CLM-{approved:D6}<br><strong>Approved: 1 day of the school's contact-time allowance</strong>", await PanelAsync(approved));
        (await w.Lead.PostAsync($"/api/v1/claims/{returned}/return", new { reason = "Name the specialist's visit" })).Expect(HttpStatusCode.OK);
        Assert.Equal($"Claim CLM-{returned:D6}<br><strong>Claimed: 1 day of the school's contact-time allowance</strong>", await PanelAsync(returned));
        Assert.Equal("1 day of your school's contact-time allowance", Row(await Read(school, $"/school/claims/{approved}"), "Claimed"));
        Assert.Equal("£83.33 of your school's budget and 2.5 hours of its contact-time allowance", Row(await Read(school, $"/school/claims/{both}"), "Claimed"));
        Assert.Equal("£250.00 of your school's budget", Row(await Read(school, $"/school/claims/{moneyOnly}"), "Claimed"));
    }

    /// <summary>
    /// The school's list of its claims read "£0.00" claimed for a claim of staff time alone, beside its page's "1 day of your
    /// school's … allowance": it gives the time, as the lead's queue does, and a claim of both its time under the money.
    /// </summary>
    [Fact]
    public async Task TheSchoolsClaimsList_GivesTheStaffTimeClaimed_BesideOrForTheMoney()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var timeOnly = await w.NewClaimAsync();
        await w.AddSpecialistDayAsync(timeOnly);
        var both = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(both, "STAFF-02", w.S.On("10-07"));
        var moneyOnly = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(moneyOnly, "STAFF-03", allowance: false);
        var list = await Read(school, "/school/claims");
        string Cell(long id) =>
            Regex.Match(list, $"CLM-{id:D6}</a></td>.*?<td class=\"govuk-table__cell govuk-table__cell--numeric\">(.*?)</td>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Equal("1 day of staff time", Cell(timeOnly));
        Assert.Equal("£250.00<br><span class=\"govuk-body-s\">and 1 day of staff time</span>", Cell(both));
        Assert.Equal("£250.00", Cell(moneyOnly));
    }

    /// <summary>
    /// A claim of staff time alone read "£0.00" claimed on the area lead's page of its school and on the auditor's list and
    /// page of claims, where the lead's queue and the school's pages give its time: each gives it now, as they do.
    /// </summary>
    [Fact]
    public async Task AClaimOfStaffTimeAlone_SaysItsTime_OnTheLeadsSchoolPage_AndTheAuditorsClaims()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.NewClaimAsync();
        await w.AddSpecialistDayAsync(id);
        (await w.SubmitAsync(id)).Expect(HttpStatusCode.OK);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        using var auditor = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await w.S.AuditorAsync(Db)).UserName);
        static string Cell(string list, string link) =>
            Regex.Match(list, $"{Regex.Escape(link)}\"?[^>]*>CLM-[0-9]+</a></td>.*?<td class=\"govuk-table__cell govuk-table__cell--numeric\">(.*?)</td>",
                RegexOptions.Singleline).Groups[1].Value;

        Assert.Equal("1 day of staff time", Cell(await Read(lead, $"/review/schools/{w.S.Schools[0].Id}"), $"href=\"/review/claims/{id}"));
        Assert.Equal("1 day of staff time", Cell(await Read(auditor, $"/ledger/claims?programmeId={w.S.ProgrammeId}"), $"href=\"/ledger/claims/{id}"));
        Assert.Equal("1 day of the school's contact-time allowance", Regex.Match(await Read(auditor, $"/ledger/claims/{id}"),
            "<dt class=\"govuk-summary-list__key\">Claimed</dt><dd class=\"govuk-summary-list__value\">(.*?)</dd>").Groups[1].Value);
    }

    /// <summary>
    /// The area lead's and the second approver's pages of a claim had no Claimed or Approved row, where the school's and the
    /// auditor's say what it claims: a claim of staff time alone read as nothing beyond its lines' £0.00 total, and the first
    /// approval was given as money alone ("for £250.00"). They say what it claims and, once approved, what was approved, in
    /// money and staff time (a line approved for nothing releasing its time), as the auditor's page now does.
    /// </summary>
    [Fact]
    public async Task TheLeadsAndSecondApproversClaimPages_SayWhatItClaims_AndWhatWasApproved_InMoneyAndStaffTime()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        await Db.ScalarAsync("UPDATE programme SET second_approval_threshold_pence = 50000 WHERE id = $1 RETURNING id", w.S.ProgrammeId);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        using var admin = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Admin.UserName);
        using var auditor = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await w.S.AuditorAsync(Db)).UserName);
        static string Row(string page, string key) =>
            Regex.Match(page, $"<dt class=\"govuk-summary-list__key\">{key}</dt><dd class=\"govuk-summary-list__value\">(.*?)</dd>").Groups[1].Value;

        var timeOnly = await w.NewClaimAsync();
        await w.AddSpecialistDayAsync(timeOnly, w.S.On("10-09"));
        (await w.SubmitAsync(timeOnly)).Expect(HttpStatusCode.OK);
        var page = await Read(lead, $"/review/claims/{timeOnly}");
        Assert.Equal("1 day of the school's contact-time allowance", Row(page, "Claimed"));
        Assert.DoesNotContain(">Approved</dt>", page);
        (await w.Lead.PostAsync($"/api/v1/claims/{timeOnly}/start-review", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{timeOnly}/approve", null)).Expect(HttpStatusCode.OK);
        Assert.Equal("1 day of the school's contact-time allowance", Row(await Read(lead, $"/review/claims/{timeOnly}"), "Approved"));
        Assert.Equal("1 day of the school's contact-time allowance", Row(await Read(auditor, $"/ledger/claims/{timeOnly}"), "Approved"));

        var (both, lines) = await w.TwoLinesUnderReviewAsync(); // £500.00 and 2 days: at the threshold
        (await w.Lead.PostAsync($"/api/v1/claims/{both}/approve", new { lines = new[] { new { lineId = lines[1], amount = "0.00", reason = "not evidenced" } } }))
            .Expect(HttpStatusCode.OK);
        page = await Read(admin, $"/approvals/claims/{both}");
        Assert.Equal("£500.00 of the school's budget and 2 days of its contact-time allowance", Row(page, "Claimed"));
        Assert.Contains("(area lead), for £250.00 of the school's budget and 1 day of its contact-time allowance</dd>", page);
        Assert.DoesNotContain(">Approved</dt>", page);
        (await w.Admin.PostAsync($"/api/v1/claims/{both}/second-approve", null)).Expect(HttpStatusCode.OK);
        foreach (var (reader, url) in new[] { (admin, $"/approvals/claims/{both}"), (lead, $"/review/claims/{both}"), (auditor, $"/ledger/claims/{both}") })
        {
            page = await Read(reader, url);
            Assert.Equal("£500.00 of the school's budget and 2 days of its contact-time allowance", Row(page, "Claimed"));
            Assert.Equal("£250.00 of the school's budget and 1 day of its contact-time allowance", Row(page, "Approved"));
        }
    }

    /// <summary>
    /// An approved claim of staff time alone read "£0.00" in the Approved column of the school's list, the lead's page of its
    /// school and the auditor's list, beside its Claimed "1 day of staff time". The column gives the time approved as the
    /// Claimed column gives the time claimed, a line approved for nothing leaving its time out, as its time is released.
    /// </summary>
    [Fact]
    public async Task TheClaimsListsApprovedColumn_GivesTheStaffTimeApproved_LeavingOutALineApprovedForNothing()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var timeOnly = await w.ApprovedSpecialistDayAsync(w.S.On("10-09"));
        var (both, lines) = await w.TwoLinesUnderReviewAsync();
        (await w.Lead.PostAsync($"/api/v1/claims/{both}/approve", new { lines = new[] { new { lineId = lines[1], amount = "0.00", reason = "not evidenced" } } }))
            .Expect(HttpStatusCode.OK);
        var rejected = await w.UnderReviewAsync("STAFF-03");
        (await w.Lead.PostAsync($"/api/v1/claims/{rejected}/reject", new { reason = "no timesheet" })).Expect(HttpStatusCode.OK);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        using var auditor = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await w.S.AuditorAsync(Db)).UserName);
        static string Approved(string list, string link) =>
            Regex.Match(list, $"{Regex.Escape(link)}\"?[^>]*>CLM-[0-9]+</a></td>.*?<td class=\"govuk-table__cell govuk-table__cell--numeric\">.*?</td>\\s*<td class=\"govuk-table__cell govuk-table__cell--numeric\">(.*?)</td>",
                RegexOptions.Singleline).Groups[1].Value;

        foreach (var (reader, list, link) in new[]
        {
            (school, "/school/claims", "href=\"/school/claims/"), (lead, $"/review/schools/{w.S.Schools[0].Id}", "href=\"/review/claims/"),
            (auditor, $"/ledger/claims?programmeId={w.S.ProgrammeId}", "href=\"/ledger/claims/"),
        })
        {
            var page = await Read(reader, list);
            Assert.Equal("1 day of staff time", Approved(page, $"{link}{timeOnly}"));
            Assert.Equal("£250.00<br><span class=\"govuk-body-s\">and 1 day of staff time</span>", Approved(page, $"{link}{both}"));
            Assert.Equal("", Approved(page, $"{link}{rejected}"));
        }
        var api = (await w.School.GetAsync("/api/v1/claims")).Expect(HttpStatusCode.OK).Json.ToJsonString();
        Assert.DoesNotContain("approvedMinutes", api, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A claim of staff time alone totalled its lines "£0.00" on every page of it (the school's, the lead's, the auditor's),
    /// beside its Claimed row's "1 day of …": the lines' total gives the staff time they take, as the lists' cells do, and
    /// once a line is approved for less, the Approved total the time approved, a line approved for nothing leaving its out;
    /// and each line's own cells the same way.
    /// </summary>
    [Fact]
    public async Task TheLinesTotal_GivesTheStaffTimeTheLinesTake_ClaimedAndApproved()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var timeOnly = await w.NewClaimAsync();
        await w.AddSpecialistDayAsync(timeOnly, w.S.On("10-09"));
        (await w.SubmitAsync(timeOnly)).Expect(HttpStatusCode.OK);
        var (both, lines) = await w.TwoLinesUnderReviewAsync(); // £500.00 and 2 days
        (await w.Lead.PostAsync($"/api/v1/claims/{both}/approve", new { lines = new[] { new { lineId = lines[1], amount = "0.00", reason = "not evidenced" } } }))
            .Expect(HttpStatusCode.OK);
        var moneyOnly = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(moneyOnly, "STAFF-03", allowance: false);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        using var auditor = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await w.S.AuditorAsync(Db)).UserName);
        static string[] Totals(string page) =>
            Regex.Matches(Regex.Match(page, "colspan=\"3\">Total</th>.*?</tr>", RegexOptions.Singleline).Value, "<strong>(.*?)</strong>", RegexOptions.Singleline)
                .Select(m => m.Groups[1].Value).ToArray();

        foreach (var (reader, pages) in new[] { (school, "/school/claims/"), (lead, "/review/claims/"), (auditor, "/ledger/claims/") })
        {
            Assert.Equal(["1 day of staff time"], Totals(await Read(reader, $"{pages}{timeOnly}")));
            Assert.Equal(["£500.00<br><span class=\"govuk-body-s\">and 2 days of staff time</span>", "£250.00<br><span class=\"govuk-body-s\">and 1 day of staff time</span>"],
                Totals(await Read(reader, $"{pages}{both}")));
        }
        Assert.Equal(["£250.00"], Totals(await Read(school, $"/school/claims/{moneyOnly}")));

        // each line's own Amount cell too (a line of time alone read £0.00), and its Approved cell: what was approved
        static string[] Cells(string page, int lineNo) =>
            Regex.Matches(Regex.Match(page, $"<td class=\"govuk-table__cell\">{lineNo}</td>.*?</tr>", RegexOptions.Singleline).Value,
                "<td class=\"govuk-table__cell govuk-table__cell--numeric\">(.*?)</td>", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToArray();
        foreach (var (reader, pages) in new[] { (school, "/school/claims/"), (lead, "/review/claims/"), (auditor, "/ledger/claims/") })
        {
            Assert.Equal(["1 day of staff time"], Cells(await Read(reader, $"{pages}{timeOnly}"), 1));
            var page = await Read(reader, $"{pages}{both}");
            Assert.Equal(["£250.00<br><span class=\"govuk-body-s\">and 1 day of staff time</span>", "£250.00<br><span class=\"govuk-body-s\">and 1 day of staff time</span>"], Cells(page, 1));
            // a line approved for nothing says so: neither its money nor its time (its £0.00 read as if its day were approved)
            Assert.Equal(["£250.00<br><span class=\"govuk-body-s\">and 1 day of staff time</span>", "Not approved"], Cells(page, 2));
        }
        Assert.Equal(["£250.00"], Cells(await Read(school, $"/school/claims/{moneyOnly}"), 1));
    }

    /// <summary>
    /// An approved claim of staff time alone has nothing to pay: no payment run takes it and it stays "Approved", which read
    /// on every page as a payment still to come. Each claim page (the school's, the lead's, the auditor's) has a Payment row:
    /// nothing to pay for it; for a claim of money, to be paid in the next run, then in which run once one takes it.
    /// </summary>
    [Fact]
    public async Task AnApprovedClaim_SaysWhereItsPaymentStands_AndAClaimOfTimeAlone_ThatThereIsNothingToPay()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var timeOnly = await w.ApprovedSpecialistDayAsync(w.S.On("10-09"));
        var money = await w.UnderReviewAsync("STAFF-02", w.S.On("10-06"));
        (await w.Lead.PostAsync($"/api/v1/claims/{money}/approve", null)).Expect(HttpStatusCode.OK);
        var waiting = await w.UnderReviewAsync("STAFF-03", w.S.On("10-07"));
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        using var auditor = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await w.S.AuditorAsync(Db)).UserName);
        static string Payment(string page) =>
            Regex.Match(page, "<dt class=\"govuk-summary-list__key\">Payment</dt><dd class=\"govuk-summary-list__value\" id=\"payment\">(.*?)</dd>").Groups[1].Value;
        var pages = new[] { (school, "/school/claims/"), (lead, "/review/claims/"), (auditor, "/ledger/claims/") };

        foreach (var (reader, path) in pages)
        {
            Assert.StartsWith("Nothing to pay: the approval spent staff time alone, so the claim goes into no payment run", Payment(await Read(reader, $"{path}{timeOnly}")));
            Assert.Equal("£250.00 to be paid in the funder's next payment run", Payment(await Read(reader, $"{path}{money}")));
            Assert.DoesNotContain("id=\"payment\"", await Read(reader, $"{path}{waiting}")); // not approved yet
        }
        // the lists' Status cells the same way: "Nothing to pay" under the claim of time alone's "Approved"; and a claim the
        // lead returned reads "Returned" on each (the lead's and the auditor's said "Draft")
        var returned = await w.UnderReviewAsync("STAFF-04", w.S.On("10-08"));
        (await w.Lead.PostAsync($"/api/v1/claims/{returned}/return", new { reason = "Name the training" })).Expect(HttpStatusCode.OK);
        foreach (var (reader, list, link) in new[] { (school, "/school/claims", "/school/claims/"), (lead, $"/review/schools/{w.S.Schools[0].Id}", "/review/claims/"),
                     (auditor, $"/ledger/claims?programmeId={w.S.ProgrammeId}", "/ledger/claims/") })
        {
            var page = await Read(reader, list);
            string Status(long id) => Regex.Match(page, $"href=\"{link}{id}[^>]*>CLM-{id:D6}</a></td>.*?(<strong class=\"govuk-tag.*?)</td>", RegexOptions.Singleline).Groups[1].Value;
            Assert.Equal("<strong class=\"govuk-tag govuk-tag--green\">Approved</strong><br><span class=\"govuk-body-s\">Nothing to pay</span>", Status(timeOnly));
            Assert.Equal("<strong class=\"govuk-tag govuk-tag--green\">Approved</strong>", Status(money));
            Assert.Equal("<strong class=\"govuk-tag govuk-tag--orange\">Returned</strong>", Status(returned));
        }

        var finance = await w.S.FinanceAsync(Db);
        var run = (await finance.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-runs", new { })).Expect(HttpStatusCode.Created).Id;
        foreach (var (reader, path) in pages)
        {
            Assert.Equal($"£250.00 in payment run PR-{run:D6}, being paid", Payment(await Read(reader, $"{path}{money}")));
            Assert.StartsWith("Nothing to pay", Payment(await Read(reader, $"{path}{timeOnly}"))); // the run left it out
        }
    }

    /// <summary>
    /// The Payment row follows a payment to its end: paid by its run; and a claim whose payment failed, approved again for the
    /// next run, says that the run's payment failed and when (it read "to be paid in the funder's next payment run" as if no
    /// payment had been tried), until a new run takes it.
    /// </summary>
    [Fact]
    public async Task APaidClaim_SaysWhichRunPaidIt_AndAFailedPayment_SaysItFailed_UntilTheNextRunTakesIt()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var paid = await w.UnderReviewAsync("STAFF-01", w.S.On("10-06"));
        (await w.Lead.PostAsync($"/api/v1/claims/{paid}/approve", null)).Expect(HttpStatusCode.OK);
        var failed = await w.NewClaimAsync(w.OtherSchool);
        await w.AddStaffTimeAsync(failed, "STAFF-02", w.S.On("10-07"), school: w.OtherSchool);
        (await w.SubmitAsync(failed, w.OtherSchool)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{failed}/start-review", null)).Expect(HttpStatusCode.OK);
        (await w.Lead.PostAsync($"/api/v1/claims/{failed}/approve", null)).Expect(HttpStatusCode.OK);
        await Db.ScalarAsync("WITH u AS (UPDATE school SET payee_reference = 'SUP-' || urn RETURNING 1) SELECT count(*) FROM u");
        var (maker, checker) = (await w.S.FinanceAsync(Db, "maker"), await w.S.FinanceAsync(Db, "checker"));
        var runs = $"/api/v1/programmes/{w.S.ProgrammeId}/payment-runs";
        var run = (await maker.PostAsync(runs, new { })).Expect(HttpStatusCode.Created).Id;
        (await checker.PostAsync($"/api/v1/payment-runs/{run}/approve", null)).Expect(HttpStatusCode.OK);
        (await maker.PostAsync($"/api/v1/payment-runs/{run}/export", null)).Expect(HttpStatusCode.OK);
        var today = GrantLedger.Core.Ledger.UkTime.Today;
        using (var form = new MultipartFormDataContent())
        {
            form.Add(new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes($"""
                remittance_reference,amount,date,status
                PR{run:000000}-{w.S.Schools[0].Urn},250.00,{today:yyyy-MM-dd},paid
                PR{run:000000}-{w.S.Schools[1].Urn},250.00,{today:yyyy-MM-dd},failed
                """)), "file", "confirmations.csv");
            using var imported = await maker.Http.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/payment-confirmations", form);
            (await Answer.ReadAsync(imported)).Expect(HttpStatusCode.OK);
        }
        using var auditor = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, (await w.S.AuditorAsync(Db)).UserName);
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        // the row's words, before the link to the reader's page of the school's payments (the lead's; the auditor has none)
        static string Payment(string page) =>
            Regex.Match(page, "<dt class=\"govuk-summary-list__key\">Payment</dt><dd class=\"govuk-summary-list__value\" id=\"payment\">(.*?)(?: \\(<a class=\"govuk-link\" href=\"[^\"]*\">[^<]*</a>\\))?</dd>")
                .Groups[1].Value;
        foreach (var (reader, path) in new[] { (lead, "/review/claims/"), (auditor, "/ledger/claims/") })
        {
            var (paidPage, failedPage) = (await Read(reader, $"{path}{paid}"), await Read(reader, $"{path}{failed}"));
            Assert.Equal($"£250.00 paid by payment run PR-{run:D6}", Payment(paidPage));
            Assert.Equal($"The payment by payment run PR-{run:D6} failed on {today:d MMMM yyyy}: £250.00 to be paid in the funder's next payment run",
                Payment(failedPage));
            foreach (var shown in new[] { paidPage, failedPage })
                Assert.Equal(reader == lead, Regex.IsMatch(shown, "href=\"/review/schools/\\d+/payments\">the school's payments</a>\\)</dd>"));
        }
        using (var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.OtherSchool.UserName))
            Assert.StartsWith($"The payment by payment run PR-{run:D6} failed on", Payment(await Read(school, $"/school/claims/{failed}")));

        var next = (await maker.PostAsync(runs, new { })).Expect(HttpStatusCode.Created).Id;
        Assert.Equal($"£250.00 in payment run PR-{next:D6}, being paid", Payment(await Read(auditor, $"/ledger/claims/{failed}")));
    }

    /// <summary>
    /// A school's list of claims stopped at the newest 200 without a word; it gives them all, 100 a page, the caption saying
    /// which of how many, and only the school's own.
    /// </summary>
    [Fact]
    public async Task ASchoolsClaims_AreListedAPageAtATime_WithTheTrueCount()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var ids = new List<long>();
        for (var i = 0; i < 101; i++) ids.Add(await w.NewClaimAsync());
        await w.NewClaimAsync(w.OtherSchool);
        using var school = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        static List<long> Listed(string page) => Regex.Matches(page, "href=\"/school/claims/(\\d+)\">CLM-").Select(m => long.Parse(m.Groups[1].Value)).ToList();
        static string Caption(string page) => Regex.Match(page, "<table class=\"govuk-table\" id=\"claims\">\\s*<caption[^>]*>(.*?)</caption>").Groups[1].Value;

        var first = await Read(school, "/school/claims");
        Assert.Equal("Claims 1 to 100 of 101, newest first", Caption(first));
        Assert.Contains("href=\"/school/claims?page=2\"", first);
        var second = await Read(school, "/school/claims?page=2");
        Assert.Equal("Claims 101 to 101 of 101, newest first", Caption(second));
        Assert.Equal(ids.AsEnumerable().Reverse(), Listed(first).Concat(Listed(second)));
    }

    /// <summary>
    /// The lead's review queue and the lead's page of one school stopped at 500 claims without a word: they give them all,
    /// 100 a page, the caption saying which of how many; the queue in the order of submission (not of the claims' ids), each
    /// school with its URN (a national programme has many schools of one name).
    /// </summary>
    [Fact]
    public async Task TheReviewQueue_AndALeadsSchool_ListEveryClaim_APageAtATime_WithTheTrueCount()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var ids = new List<long>();
        for (var i = 0; i < 101; i++) ids.Add(await w.NewClaimAsync());
        // the last created submitted first, each in its own transaction; empty drafts, so behind the checks (no entry holds anything)
        foreach (var id in ids.AsEnumerable().Reverse())
            await Db.DataSource.TamperAsync(ClaimWorld.SubmittedWithoutItsEntry(id));
        var submitted = ids.AsEnumerable().Reverse().ToList();
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        static List<long> Listed(string page, string href) => Regex.Matches(page, $"href=\"{href}(\\d+)[?\"]").Select(m => long.Parse(m.Groups[1].Value)).ToList();
        static string Caption(string page, string id) => Regex.Match(page, $"<table class=\"govuk-table\" id=\"{id}\">\\s*<caption[^>]*>(.*?)</caption>").Groups[1].Value;

        var first = await Read(lead, "/review");
        Assert.Equal("Claims 1 to 100 of 101 waiting for review, oldest first", Caption(first, "queue"));
        Assert.Contains("href=\"/review?page=2\"", first);
        Assert.Contains($"URN {w.S.Schools[0].Urn}</span>", first);
        var second = await Read(lead, "/review?page=2");
        Assert.Equal("Claims 101 to 101 of 101 waiting for review, oldest first", Caption(second, "queue"));
        Assert.Equal(submitted, Listed(first, "/review/claims/").Concat(Listed(second, "/review/claims/")));

        var school = $"/review/schools/{w.S.Schools[0].Id}";
        var page1 = await Read(lead, school);
        Assert.StartsWith("Claims 1 to 100 of 101, newest first", Caption(page1, "claims"));
        Assert.Contains($"href=\"{school}?year={w.S.YearId}&page=2\"", page1);
        var page2 = await Read(lead, $"{school}?year={w.S.YearId}&page=2");
        Assert.StartsWith("Claims 101 to 101 of 101, newest first", Caption(page2, "claims"));
        Assert.Equal(ids.AsEnumerable().Reverse(), Listed(page1, "/review/claims/").Concat(Listed(page2, "/review/claims/")));
    }

    /// <summary>The approve page's fieldset of one line, up to the next.</summary>
    private static string Fieldset(string page, int lineNo)
    {
        var start = page.IndexOf($"Line {lineNo}:", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no fieldset for line {lineNo}");
        var end = page.IndexOf("</fieldset>", start, StringComparison.Ordinal);
        return page[start..end];
    }

    /// <summary>
    /// The return-or-reject page takes those two steps and no other: a form whose action was changed ("approve", "Reject") was
    /// taken as a return, and the claim went back to the school (found in a review of the pages). Nothing is done, and the
    /// page says the form was changed; a link naming no such step leads back to the claim. A decision's page of a claim no
    /// one has decided shows the claim instead (a draft's had read "Claim returned to the school").
    /// </summary>
    [Fact]
    public async Task TheDecidePage_TakesReturnOrRejectAlone_AndTheDonePageTellsOnlyADecision()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        using var lead = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.Lead.UserName);
        var token = PageFormFuzzTests.TokenOf(await lead.GetStringAsync($"/review/claims/{id}/decide?action=return"));
        foreach (var action in new[] { "approve", "Reject", "" })
        {
            using var answer = await lead.PostAsync($"/review/claims/{id}/decide", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                [PageFormFuzzTests.Token] = token, ["action"] = action, ["reason"] = "x",
            }));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Contains("This form is out of date or was changed", WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync()));
        }
        Assert.Equal("under-review", await Db.TextAsync("SELECT state FROM claim WHERE id = $1", id));
        // nor does a link fill the approval's amounts: they are the claim's
        var line = (await w.Lead.GetAsync($"/api/v1/claims/{id}")).Json["lines"]![0]!["id"]!.GetValue<long>();
        var approve = await Read(lead, $"/review/claims/{id}/approve?amount-{line}=0.01&reason-{line}=Agreed%20by%20phone");
        Assert.DoesNotContain("value=\"0.01\"", approve); // (the layout's links carry the page's own address, encoded)
        Assert.DoesNotContain("value=\"Agreed by phone\"", approve);
        Assert.Contains("value=\"250.00\"", approve);
        using (var link = await lead.GetAsync($"/review/claims/{id}/decide?action=approve"))
            Assert.Equal($"/review/claims/{id}", link.Headers.Location?.OriginalString);
        using (var done = await lead.GetAsync($"/review/claims/{id}/done"))
            Assert.Equal($"/review/claims/{id}", done.Headers.Location?.OriginalString);
        var draft = await w.NewClaimAsync();
        using (var done = await lead.GetAsync($"/review/claims/{draft}/done"))
            Assert.NotEqual(HttpStatusCode.OK, done.StatusCode);
    }

    private static async Task<string> Read(HttpClient page, string url) => WebUtility.HtmlDecode(await page.GetStringAsync(url));

    /// <summary>Posts a form of the page at <paramref name="url"/> as a browser does: the redirect it answers.</summary>
    private static async Task<(HttpStatusCode Status, string? Location)> PostAsync(HttpClient page, string url, Dictionary<string, string> fields)
    {
        fields[PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await page.GetStringAsync(url));
        using var answer = await page.PostAsync(url, new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        return (answer.StatusCode, answer.Headers.Location?.OriginalString);
    }

    /// <summary>Posts a form of the page at <paramref name="url"/> that the page refuses: the page shown again, with why.</summary>
    private static async Task<string> PostPageAsync(HttpClient page, string url, Dictionary<string, string> fields)
    {
        fields[PageFormFuzzTests.Token] = PageFormFuzzTests.TokenOf(await page.GetStringAsync(url));
        using var answer = await page.PostAsync(url, new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());
    }

    [GeneratedRegex("href=\"(/school/claims/\\d+/line\\?lineId=[^\"]*)\"")] private static partial Regex ChangeLink();
}
