using System.Net;
using GrantLedger.Core.Ledger;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

using static GrantLedger.Web.Tests.Support.PageTables;

namespace GrantLedger.Web.Tests.School;

/// <summary>
/// The dashboard of a closed year did not say it was closed: Allocated read net of what lapsed or carried forward, with no
/// line saying which, and "Start a new claim" was offered in a year where no claim can be made.
/// </summary>
public sealed class DashboardClosedYearTests(DatabaseFixture db) : DatabaseTest(db)
{
    /// <summary>
    /// 2025-26 closed after a claim of £250 and a day was approved: staff cover and action plan lapse, TLR and admin and the
    /// contact-time allowance carry forward into 2026-27. Its dashboard says when it was closed, what each category lapsed or
    /// carried forward (as the statement's year-end lines do) and offers no new claim; 2026-27's still does.
    /// </summary>
    [Fact]
    public async Task AClosedYearsDashboard_SaysWhenItWasClosed_WhatLapsedAndWhatCarriedForward_AndOffersNoNewClaim()
    {
        var w = await ClaimWorld.CreateAsync(Db, "2025-26");
        var next = (await w.S.Root.PostAsync($"/api/v1/programmes/{w.S.ProgrammeId}/years", new { code = "2026-27" })).Expect(HttpStatusCode.Created).Id;
        var claim = await w.UnderReviewAsync("STAFF-01", "2025-10-05");
        (await w.Lead.PostAsync($"/api/v1/claims/{claim}/approve", null)).Expect(HttpStatusCode.OK);
        using var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName);
        var open = await Read(page, $"/school?year={w.S.YearId}");
        Assert.Contains("href=\"/school/claims/new\"", open); // while the year is open
        Assert.DoesNotContain("id=\"year-closed\"", open);

        var finance = await w.S.FinanceAsync(Db);
        (await finance.PostAsync($"{w.S.Year}/close", new
        {
            rules = new[]
            {
                new { categoryId = w.Category("staff-cover"), treatment = "lapse" }, new { categoryId = w.Category("tlr-admin"), treatment = "carry-forward" },
                new { categoryId = w.Category("action-plan"), treatment = "lapse" }, new { categoryId = w.Category("contact-time"), treatment = "carry-forward" },
            },
            nextYearId = next,
        })).Expect(HttpStatusCode.OK);

        var html = await Read(page, $"/school?year={w.S.YearId}");
        Assert.Contains($"2025-26 was closed on {UkTime.Today:d MMMM yyyy}", html);
        Assert.DoesNotContain("Start a new claim", html);
        Assert.DoesNotContain("href=\"/school/claims/new\"", html);
        Assert.Equal(new[]
        {
            new[] { "staff-cover", "Lapsed", "£750.00" },
            ["action-plan", "Lapsed", "£500.00"],
            ["TLR and admin", "Carried forward to 2026-27", "£500.00"],
            ["contact-time", "Carried forward to 2026-27", "4 days"],
        }, Rows(Table(html, "year-end")).Select(Cells).ToArray()); // in the budget table's order

        // this year's dashboard offers a claim, and says nothing of a close
        var now = await Read(page, "/school");
        Assert.Contains("href=\"/school/claims/new\"", now);
        Assert.DoesNotContain("id=\"year-closed\"", now);
        Assert.DoesNotContain("id=\"year-end\"", now);
    }
}
