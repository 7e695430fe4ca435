using System.Net;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Allocations;

/// <summary>The allocate pages' other kinds: one school (/admin/allocations/school).</summary>
public sealed partial class AllocationPagesTests
{
    [Fact]
    public async Task OneSchoolPage_GivesThatSchoolAloneTheAmount_AfterACheckThatWritesNothing_OnceWhenPostedTwice()
    {
        var (s, page) = await AdminAsync(1, 3);
        await s.FundAsync("2000.00");
        var before = await WrittenAsync();
        var (html, action, fields) = await CheckAsync(page, $"/admin/allocations/school?yearId={s.YearId}", new()
        {
            ["schoolId"] = s.Schools[1].Id.ToString(), ["categoryId"] = s.Categories["staff-cover"].ToString(), ["amount"] = "1,234.56",
            ["description"] = "Extra cover for one school",
        });
        Assert.Contains($"id=\"answer-school\">School {s.Schools[1].Urn} (URN {s.Schools[1].Urn})</dd>", html);
        Assert.Contains("id=\"answer-amount\">£1,234.56</dd>", html);
        Assert.Contains("id=\"answer-available\">£0.00 now, £1,234.56 after</dd>", html);
        Assert.Contains("id=\"answer-left\">£765.44 (of £2,000.00 now)</dd>", html);
        Assert.Equal(before, await WrittenAsync());

        using var first = await ConfirmAsync(page, action, fields);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        var done = first.Headers.Location!.OriginalString;
        Assert.Matches("^/admin/allocations/done/[0-9]+$", done);
        using var again = await ConfirmAsync(page, action, fields);
        Assert.Equal(done, again.Headers.Location!.OriginalString);

        Assert.Equal("1234.56", Balance(await s.AccountAsync(s.SchoolAccount(1, "staff-cover", "available"))));
        foreach (var other in new[] { 0, 2 })
            Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM account WHERE code LIKE $1", $"tp:2026-27:school:{s.Schools[other].Urn}:%"));
        Assert.Equal("765.44", (await s.AccountAsync("tp:2026-27:unallocated"))["available"]!.GetValue<string>());
        Assert.Equal(1L, await Db.ScalarAsync("SELECT count(*) FROM allocation WHERE method = 'explicit' AND line_count = 1"));
        var confirmation = await PageTables.Read(page, done);
        Assert.Contains("Allocation made", confirmation);
        Assert.Contains("Extra cover for one school", confirmation);
        Assert.Contains("£1,234.56", confirmation);
    }

    /// <summary>A programme of more schools than a list can hold: the school is typed by its URN, as on the virement page; staff time in days.</summary>
    [Fact]
    public async Task OneSchoolPage_InALargeProgramme_TakesTheSchoolByItsUrn_AndStaffTimeInDays_AndAnUnknownUrnIsNamed()
    {
        var (s, page) = await AdminAsync(1, 2);
        await s.FundAsync("10.00", minutes: 4500);
        await Db.DataSource.ExecuteAsync("""
            INSERT INTO school (programme_id, urn, name, phase, area_id)
            SELECT $1, (900000 + g)::text, 'School ' || g, 'Primary', $2 FROM generate_series(1, $3) g
            """, s.ProgrammeId, s.AreaIds[0], Pages.Gov.MostSchoolsInAList);
        var url = $"/admin/allocations/school?yearId={s.YearId}";
        var form = await PageTables.Read(page, url);
        Assert.Contains("name=\"schoolUrn\"", form);
        Assert.DoesNotContain("name=\"schoolId\"", form);
        Dictionary<string, string> Fields(string urn) => new()
        {
            ["schoolUrn"] = urn, ["categoryId"] = s.Categories["contact-time"].ToString(), ["amount"] = "2.5",
        };
        var before = await WrittenAsync();
        var (problems, html) = await PageForms.PostAsync(page, url, Fields("999999"));
        Assert.Equal(("schoolUrn", "No school with URN 999999 is in this programme"), Assert.Single(problems));
        Assert.Contains("value=\"999999\"", html);
        var (leftOut, _) = await PageForms.PostAsync(page, url, Fields(""));
        Assert.Equal(("schoolUrn", "Enter the URN of the school"), Assert.Single(leftOut));
        Assert.Equal(before, await WrittenAsync());

        var (check, action, fields) = await CheckAsync(page, url, Fields(s.Schools[1].Urn));
        Assert.Contains("id=\"answer-amount\">2.5 days</dd>", check);
        (await ConfirmAsync(page, action, fields)).Dispose();
        Assert.Equal("1125", Balance(await s.AccountAsync(s.SchoolAccount(1, "contact-time", "available"), "MIN")));
        Assert.Equal(0L, await Db.ScalarAsync("SELECT count(*) FROM account WHERE code LIKE $1", $"tp:2026-27:school:{s.Schools[0].Urn}:%"));
    }
}
