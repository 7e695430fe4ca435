using System.Net;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using GrantLedger.Web.Access;
using GrantLedger.Web.Tests.Security;
using GrantLedger.Web.Tests.Support;

namespace GrantLedger.Web.Tests.Allocations;

public sealed class AllocationTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task Fund_PostsFundingToUnallocated_AndTheTrialBalanceIsZero()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("1000.50", minutes: 4500);
        Assert.Equal("1000.50", (await s.AccountAsync("tp:2026-27:unallocated"))["available"]!.GetValue<string>());
        var tb = (await s.Root.GetAsync($"/api/v1/programmes/{s.ProgrammeId}/trial-balance")).Expect(HttpStatusCode.OK).Json;
        Assert.All(tb["totals"]!.AsArray(), t => Assert.True(t!["balanced"]!.GetValue<bool>()));
        var gbp = tb["totals"]!.AsArray().Single(t => t!["unit"]!.GetValue<string>() == "GBP")!;
        Assert.Equal("1000.50", gbp["debits"]!.GetValue<string>());
    }

    [Fact]
    public async Task Split_ThirteenMillionAcross1680Schools_SumsExactlyAndPartsDifferByAtMostOnePenny()
    {
        var s = await Scenario.CreateAsync(Db, 1, 0);
        var csv = "URN,EstablishmentName,PhaseOfEducation (name),LA (name)\n" +
                  string.Concat(Enumerable.Range(0, 1680).Select(i => $"{400000 + i},School {i},Primary,Area 1\n"));
        using (var content = new StringContent(csv, System.Text.Encoding.UTF8, "text/csv"))
            Assert.Equal(HttpStatusCode.OK, (await s.Root.Http.PostAsync($"/api/v1/programmes/{s.ProgrammeId}/schools/import", content)).StatusCode);
        await s.FundAsync("13000000.00");
        var view = (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            split = new { categoryId = s.Categories["staff-cover"], amount = "13000000.00", allSchools = true },
        })).Expect(HttpStatusCode.Created).Json;
        Assert.Equal(1680, view["lineCount"]!.GetValue<int>());

        Assert.Equal(1680, await Db.ScalarAsync("SELECT count(*) FROM transfer t JOIN journal_entry e ON e.id = t.entry_id WHERE e.cause_type = 'allocation'"));
        Assert.Equal(1_300_000_000L, await Db.ScalarAsync("SELECT sum(credits_posted) FROM account WHERE code LIKE 'tp:2026-27:school:%:staff-cover:available'"));
        Assert.Equal(1L, await Db.ScalarAsync("SELECT max(credits_posted) - min(credits_posted) FROM account WHERE code LIKE 'tp:2026-27:school:%:available'"));
        // 1,300,000,000p / 1,680 = 773,809 rem 880: 880 schools get £7,738.10 and 800 get £7,738.09
        Assert.Equal(880, await Db.ScalarAsync("SELECT count(*) FROM account WHERE code LIKE 'tp:2026-27:school:%:available' AND credits_posted = 773810"));
        Assert.Equal(800, await Db.ScalarAsync("SELECT count(*) FROM account WHERE code LIKE 'tp:2026-27:school:%:available' AND credits_posted = 773809"));
        Assert.Equal("0.00", (await s.AccountAsync("tp:2026-27:unallocated"))["available"]!.GetValue<string>());
    }

    [Fact]
    public async Task Allocate_MoreThanUnallocated_Returns422SayingByHowMuch_AndWritesNothing()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("1000.00");
        var problem = (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            lines = new[]
            {
                new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount = "700.00" },
                new { schoolId = s.Schools[1].Id, categoryId = s.Categories["staff-cover"], amount = "300.01" },
            },
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "allocation-exceeds-unallocated").Json;
        Assert.Equal("0.01", problem["shortfall"]!.GetValue<string>());
        Assert.Equal("1000.00", problem["unallocated"]!.GetValue<string>());
        Assert.Contains("£0.01 too much", problem["detail"]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM allocation"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM journal_entry"));

        // staff time where none was funded: it said "but only 0 days is unallocated"
        var none = (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            each = new { categoryId = s.Categories["contact-time"], minutes = 450, allSchools = true },
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, rule: "allocation-exceeds-unallocated").Json["detail"]!.GetValue<string>();
        Assert.Equal($"The allocation gives 2 days but nothing of that unit is unallocated in {s.YearCode}: fund the year with it first.", none);
    }

    [Fact]
    public async Task Allocate_EachMinutesOfStaffTime_UsesTheMinutesLedger()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("10.00", minutes: 2 * 2250);
        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            each = new { categoryId = s.Categories["contact-time"], minutes = 2250, allSchools = true },
        })).Expect(HttpStatusCode.Created);
        var account = await s.AccountAsync(s.SchoolAccount(1, "contact-time", "available"), "MIN");
        Assert.Equal("MIN", account["unit"]!.GetValue<string>());
        Assert.Equal("2250", account["balance"]!.GetValue<string>());
        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            each = new { categoryId = s.Categories["contact-time"], amount = "5.00", allSchools = true },
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "each.minutes");
    }

    /// <summary>Areas given by areaIds were refused as each.schoolIds ('no schools chosen'), a field the request did not send.</summary>
    [Fact]
    public async Task Allocate_ToAnAreaNotOfTheProgramme_IsRefusedNamingAreaIds()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("100.00");
        var cover = s.Categories["staff-cover"];
        var problem = (await s.Root.PostAsync($"{s.Year}/allocations", new { each = new { categoryId = cover, amount = "1.00", areaIds = new[] { 99 } } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "each.areaIds");
        Assert.Contains("area 99 is not an area of this programme", problem.Body);
        Assert.DoesNotContain("schoolIds", problem.Body);
        (await s.Root.PostAsync($"{s.Year}/allocations", new { split = new { categoryId = cover, amount = "1.00", areaIds = new[] { s.AreaIds[0], 99 } } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "split.areaIds");
        // a school or area named twice is refused, as a school and category twice in lines are: a split over [a, a, b] gave
        // each school half, merged without a word
        var (a, b) = (s.Schools[0].Id, s.Schools[1].Id);
        Assert.Contains($"school {a} is named more than once", (await s.Root.PostAsync($"{s.Year}/allocations",
            new { split = new { categoryId = cover, amount = "1.00", schoolIds = new[] { a, a, b } } })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "split.schoolIds").Body);
        (await s.Root.PostAsync($"{s.Year}/allocations", new { each = new { categoryId = cover, amount = "1.00", schoolIds = new[] { b, b } } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "each.schoolIds");
        (await s.Root.PostAsync($"{s.Year}/allocations", new { each = new { categoryId = cover, amount = "1.00", areaIds = new[] { s.AreaIds[0], s.AreaIds[0] } } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "each.areaIds");
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM allocation"));
    }

    [Fact]
    public async Task Allocate_RecordsItsMethod_ExplicitSplitOrEach_AsPostedAndListed()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("100.00");
        var cover = s.Categories["staff-cover"];
        var posted = new[]
        {
            (await s.Root.PostAsync($"{s.Year}/allocations", new { lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = cover, amount = "1.00" } } })),
            (await s.Root.PostAsync($"{s.Year}/allocations", new { split = new { categoryId = cover, amount = "1.00", allSchools = true } })),
            (await s.Root.PostAsync($"{s.Year}/allocations", new { each = new { categoryId = cover, amount = "1.00", allSchools = true } })),
        }.Select(a => a.Expect(HttpStatusCode.Created).Json["method"]!.GetValue<string>()).ToList();
        Assert.Equal(["explicit", "split", "each"], posted);
        var listed = (await s.Root.GetAsync($"{s.Year}/allocations")).Expect(HttpStatusCode.OK).Json.AsArray()
            .OrderBy(a => a!["id"]!.GetValue<long>()).Select(a => a!["method"]!.GetValue<string>()).ToList();
        Assert.Equal(["explicit", "split", "each"], listed);
        Assert.Equal("2.50", (await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available")))["balance"]!.GetValue<string>()); // 1.00 + half of 1.00 + 1.00
    }

    /// <summary>
    /// A year's allocations, oldest first, are read a page at a time when a client asks for one (limit, 1 to 5000; the next page
    /// after the last id), and whole without a limit, as before: the list had no paging, and a programme that allocates school
    /// by school makes thousands.
    /// </summary>
    [Fact]
    public async Task TheAllocationsList_IsReadAPageAtATime_OldestFirst_OrWhole()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("100.00");
        var cover = s.Categories["staff-cover"];
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
            ids.Add((await s.Root.PostAsync($"{s.Year}/allocations", new { each = new { categoryId = cover, amount = "1.00", allSchools = true } }))
                .Expect(HttpStatusCode.Created).Id);
        long[] Ids(Answer a) => a.Expect(HttpStatusCode.OK).Json.AsArray().Select(x => x!["id"]!.GetValue<long>()).ToArray();
        Assert.Equal(ids, Ids(await s.Root.GetAsync($"{s.Year}/allocations")));
        var page = Ids(await s.Root.GetAsync($"{s.Year}/allocations?limit=2"));
        Assert.Equal(ids[..2], page);
        Assert.Equal(ids[2..], Ids(await s.Root.GetAsync($"{s.Year}/allocations?limit=2&after={page[^1]}")));
        (await s.Root.GetAsync($"{s.Year}/allocations?limit=5001")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "limit");
    }

    /// <summary>
    /// The list of a year's allocations ties out: each with its entry, value date and totals per unit, and the entry that
    /// reversed it if one did. It gave the method, description and number of lines only, and a reversed allocation looked
    /// as if it still stood.
    /// </summary>
    [Fact]
    public async Task TheAllocationsList_GivesEachOnesEntry_DateAndTotals_AndWhatReversedIt()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("100.00");
        var cover = s.Categories["staff-cover"];
        var kept = (await s.Root.PostAsync($"{s.Year}/allocations", new { each = new { categoryId = cover, amount = "12.34", allSchools = true } }))
            .Expect(HttpStatusCode.Created).Json;
        var undone = (await s.Root.PostAsync($"{s.Year}/allocations", new { lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = cover, amount = "1.00" } } }))
            .Expect(HttpStatusCode.Created).Json;
        var reversal = (await s.Root.PostAsync($"/api/v1/journal-entries/{undone["entryId"]}/reversal", new { reason = "Allocated to the wrong school" }))
            .Expect(HttpStatusCode.Created).Json;

        var listed = (await s.Root.GetAsync($"{s.Year}/allocations")).Expect(HttpStatusCode.OK).Json.AsArray().ToDictionary(a => a!["id"]!.GetValue<long>());
        var first = listed[kept["id"]!.GetValue<long>()]!;
        Assert.Equal(kept["entryId"]!.GetValue<long>(), first["entryId"]!.GetValue<long>());
        Assert.Equal(UkTime.Today.ToString("yyyy-MM-dd"), first["valueDate"]!.GetValue<string>());
        Assert.Equal("24.68", Assert.Single(first["totals"]!.AsArray())!["amount"]!.GetValue<string>());
        Assert.Null(first["reversedByEntryId"]);
        var second = listed[undone["id"]!.GetValue<long>()]!;
        Assert.Equal("1.00", Assert.Single(second["totals"]!.AsArray())!["amount"]!.GetValue<string>());
        Assert.Equal(reversal["id"]!.GetValue<long>(), second["reversedByEntryId"]!.GetValue<long>());
    }

    [Fact]
    public async Task Allocate_WithBadLines_Returns422NamingEachLine()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("1000.00");
        var errors = (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            lines = new object[]
            {
                new { schoolId = 999999, categoryId = s.Categories["staff-cover"], amount = "1.00" },
                new { urn = s.Schools[0].Urn, categoryId = s.Categories["staff-cover"], amount = "0" },
                new { urn = s.Schools[0].Urn, categoryId = 424242, amount = "1.00" },
            },
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity).Json["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("lines[0].schoolId"));
        Assert.True(errors.ContainsKey("lines[1].amount"));
        Assert.True(errors.ContainsKey("lines[2].categoryId"));
        // the year's dates as every page writes them (it gave "(2026-09-01 to 2027-08-31)" on the admin's pages too)
        Assert.Contains("must fall within 2026-27, 1 September 2026 to 31 August 2027",
            (await s.Root.PostAsync($"{s.Year}/allocations", new { valueDate = "2025-01-01", lines = Array.Empty<object>() }))
                .ExpectProblem(HttpStatusCode.UnprocessableEntity, "valueDate").Json.ToJsonString());
    }

    [Fact]
    public async Task Allocate_WithAThreeDecimalAmount_Returns400NamingTheField()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var problem = (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount = "1.234" } },
        })).ExpectProblem(HttpStatusCode.BadRequest, "lines[0].amount").Json;
        Assert.Contains("two decimal places", problem["errors"]!["lines[0].amount"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Virement_MovesBudgetBetweenCategories_AndBeyondAvailableReturns422WithShortfall()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "300.00");
        var request = new
        {
            from = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"] },
            to = new { urn = s.Schools[1].Urn, categoryId = s.Categories["action-plan"] },
            amount = "120.00",
            reason = "more materials needed",
        };
        (await s.Root.PostAsync($"{s.Year}/virements", request)).Expect(HttpStatusCode.Created);
        Assert.Equal("180.00", (await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available")))["balance"]!.GetValue<string>());
        Assert.Equal("120.00", (await s.AccountAsync(s.SchoolAccount(1, "action-plan", "available")))["balance"]!.GetValue<string>());

        var tooMuch = (await s.Root.PostAsync($"{s.Year}/virements", request with { amount = "180.01" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "amount", "virement-exceeds-available").Json;
        Assert.Equal("0.01", tooMuch["shortfall"]!.GetValue<string>());
        (await s.Root.PostAsync($"{s.Year}/virements", new
        {
            from = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"] },
            to = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["contact-time"] },
            amount = "1.00",
            reason = "mixing units",
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "to.categoryId");
    }

    /// <summary>
    /// Budget taken back from a school (a school closing, or not spending it) goes to the year's unallocated budget, from where
    /// it is allocated again: a virement to <c>{"unallocated": true}</c>. No more than the school has available, and never
    /// what its submitted claims hold; the school's statement says where it went; a reversal gives it back.
    /// </summary>
    [Fact]
    public async Task Virement_ToTheUnallocatedBudget_TakesBudgetBackFromASchool_WhichIsAllocatedAgain()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var s = w.S;
        var from = new { schoolId = s.Schools[0].Id, categoryId = w.Category("staff-cover") };
        var unallocated = $"{s.Code}:{s.YearCode}:unallocated";
        async Task<long> UnallocatedAsync() => Money.Parse((await s.AccountAsync(unallocated))["balance"]!.GetValue<string>()).Pence;
        var before = await UnallocatedAsync();
        var claim = await w.NewClaimAsync();
        await w.AddStaffTimeAsync(claim, "STAFF-01", s.On("10-05"));
        (await w.SubmitAsync(claim)).Expect(HttpStatusCode.OK); // £250.00 of the school's £1,000.00 staff cover held

        var taken = (await s.Root.PostAsync($"{s.Year}/virements", new { from, to = new { unallocated = true }, amount = "700.00", reason = "school closing" }))
            .Expect(HttpStatusCode.Created).Json;
        Assert.Equal(unallocated, taken["toAccount"]!.GetValue<string>());
        Assert.Equal("300.00", (await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available")))["balance"]!.GetValue<string>());
        Assert.Equal(before + 700_00, await UnallocatedAsync());

        // what the claim holds stays: £50.00 is all the school has available now
        var tooMuch = (await s.Root.PostAsync($"{s.Year}/virements", new { from, to = new { unallocated = true }, amount = "50.01", reason = "more" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "amount", "virement-exceeds-available").Json;
        Assert.Equal("0.01", tooMuch["shortfall"]!.GetValue<string>());
        (await s.Root.PostAsync($"{s.Year}/virements", new { from, to = new { unallocated = true, schoolId = s.Schools[1].Id }, amount = "1.00", reason = "x" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "to.schoolId");
        (await s.Root.PostAsync($"{s.Year}/virements", new { from = new { unallocated = true }, to = from, amount = "1.00", reason = "x" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "from.unallocated");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM virement"));

        // allocated again, to another school
        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            description = "from the closed school",
            lines = new[] { new { schoolId = s.Schools[1].Id, categoryId = w.Category("staff-cover"), amount = "700.00" } },
        })).Expect(HttpStatusCode.Created);
        Assert.Equal(before, await UnallocatedAsync());

        // reversed, the school has it back, from what is still unallocated
        (await s.Root.PostAsync($"/api/v1/journal-entries/{taken["entryId"]!.GetValue<long>()}/reversal", new { reason = "the school stays open" }))
            .Expect(HttpStatusCode.Created);
        Assert.Equal("1000.00", (await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available")))["balance"]!.GetValue<string>());
        Assert.Equal(before - 700_00, await UnallocatedAsync());

        using (var page = await PageFormFuzzTests.SignedInPageAsync(Db.Factory, w.School.UserName))
            Assert.Contains(PageTables.Rows(PageTables.Table(await PageTables.Read(page, "/school/statement"), "statement")).Select(PageTables.Cells),
                r => r[1..] is ["Virement to the programme's unallocated budget: school closing", "staff-cover", "£700.00", "-£700.00", _]);
    }

    /// <summary>A virement dated ahead is refused as a claim line's future date is: by the UK's today, naming valueDate.</summary>
    [Fact]
    public async Task Virement_DatedInTheFuture_Returns422NamingValueDate_AndMovesNothing()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "300.00");
        var today = GrantLedger.Core.Ledger.UkTime.Today;
        object Vire(DateOnly on) => new
        {
            from = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"] },
            to = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["action-plan"] },
            amount = "100.00",
            reason = "materials",
            valueDate = on.ToString("yyyy-MM-dd"),
        };

        var problem = (await s.Root.PostAsync($"{s.Year}/virements", Vire(today.AddDays(1)))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "valueDate").Json;
        Assert.Contains("cannot be in the future", problem["errors"]!["valueDate"]![0]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM virement"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'virement'"));
        Assert.Equal("300.00", (await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available")))["balance"]!.GetValue<string>());

        (await s.Root.PostAsync($"{s.Year}/virements", Vire(today))).Expect(HttpStatusCode.Created);
        Assert.Equal("200.00", (await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available")))["balance"]!.GetValue<string>());
    }

    /// <summary>
    /// A virement dated before the allocation it moves reached the school is refused naming valueDate (migration 0069): as of
    /// the days between, the school's budget would be below nought, though its balance now allows it. Dated on the day the
    /// allocation arrived it is taken; money moved in dated back is taken too.
    /// </summary>
    [Fact]
    public async Task Virement_DatedBeforeTheAllocationArrived_Returns422NamingValueDate_AndMovesNothing()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("1000.00");
        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = s.On("10-01"), description = "autumn",
            lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount = "100.00" } },
        })).Expect(HttpStatusCode.Created);
        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = s.On("09-01"), description = "september",
            lines = new[] { new { schoolId = s.Schools[1].Id, categoryId = s.Categories["staff-cover"], amount = "100.00" } },
        })).Expect(HttpStatusCode.Created);
        object Vire(int from, int to, string on) => new
        {
            from = new { schoolId = s.Schools[from].Id, categoryId = s.Categories["staff-cover"] },
            to = new { schoolId = s.Schools[to].Id, categoryId = s.Categories["staff-cover"] },
            amount = "100.00", reason = "moved", valueDate = s.On(on),
        };

        var problem = (await s.Root.PostAsync($"{s.Year}/virements", Vire(0, 1, "09-15")))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "valueDate").Json;
        var detail = problem["detail"]!.GetValue<string>();
        Assert.StartsWith("As of 15 September 2026 this would leave ", detail);
        Assert.Contains("£100.00 past its limit", detail);
        Assert.Contains("Use a later value date", detail);
        Assert.Equal("2026-09-15", problem["asOf"]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM virement"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'virement'"));
        Assert.Equal("100.00", (await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available")))["balance"]!.GetValue<string>());

        // money moved in dated back, from a school that had it then
        (await s.Root.PostAsync($"{s.Year}/virements", Vire(1, 0, "09-10"))).Expect(HttpStatusCode.Created);
        (await s.Root.PostAsync($"{s.Year}/virements", Vire(0, 1, "09-15"))).Expect(HttpStatusCode.Created);
        (await s.Root.PostAsync($"{s.Year}/virements", Vire(0, 1, "10-01"))).Expect(HttpStatusCode.Created);
        Assert.Equal("0.00", (await s.AccountAsync(s.SchoolAccount(0, "staff-cover", "available")))["balance"]!.GetValue<string>());
    }

    /// <summary>A reversal dated back is held to the same: it cannot take back, as of a day, money the school had moved on by then.</summary>
    [Fact]
    public async Task Reversal_LeavingTheSchoolBelowNoughtAsOfItsDate_Returns422NamingValueDate()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("1000.00");
        var first = (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = s.On("09-01"), description = "first",
            lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount = "100.00" } },
        })).Expect(HttpStatusCode.Created).Json["entryId"]!.GetValue<long>();
        (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            valueDate = s.On("10-01"), description = "second",
            lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount = "100.00" } },
        })).Expect(HttpStatusCode.Created);
        (await s.Root.PostAsync($"{s.Year}/virements", new
        {
            from = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"] },
            to = new { schoolId = s.Schools[1].Id, categoryId = s.Categories["staff-cover"] },
            amount = "100.00", reason = "moved", valueDate = s.On("09-10"),
        })).Expect(HttpStatusCode.Created);

        var problem = (await s.Root.PostAsync($"/api/v1/journal-entries/{first}/reversal", new { reason = "wrong school", valueDate = s.On("09-20") }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "valueDate").Json;
        Assert.StartsWith("As of 20 September 2026 this would leave ", problem["detail"]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'reversal'"));
        (await s.Root.PostAsync($"/api/v1/journal-entries/{first}/reversal", new { reason = "wrong school", valueDate = s.On("10-01") }))
            .Expect(HttpStatusCode.Created);
    }

    /// <summary>
    /// A school is named by its id or its URN, not both: given both, the id was used and the URN ignored, so an allocation or
    /// virement naming school 1 by id and school 2 by URN moved school 1's money without a word (found in a review of the API).
    /// </summary>
    [Fact]
    public async Task AllocationAndVirement_NamingASchoolByIdAndByUrn_Return422NamingUrn_AndMoveNothing()
    {
        var s = await Scenario.CreateAsync(Db, 1, 2);
        await s.FundAsync("1000.00");
        await s.AllocateEachAsync("staff-cover", "100.00");
        var entries = await Db.ScalarAsync("SELECT count(*) FROM journal_entry");
        var allocated = (await s.Root.PostAsync($"{s.Year}/allocations", new
        {
            lines = new[] { new { schoolId = s.Schools[0].Id, urn = s.Schools[1].Urn, categoryId = s.Categories["staff-cover"], amount = "0.01" } },
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "lines[0].urn").Body;
        Assert.Contains("give schoolId or urn, not both", allocated);
        (await s.Root.PostAsync($"{s.Year}/virements", new
        {
            from = new { schoolId = s.Schools[0].Id, urn = s.Schools[1].Urn, categoryId = s.Categories["staff-cover"] },
            to = new { urn = s.Schools[1].Urn, categoryId = s.Categories["staff-cover"] }, amount = "1.00", reason = "moved",
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "from.urn");
        (await s.Root.PostAsync($"{s.Year}/virements", new
        {
            from = new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"] },
            to = new { urn = "999999", categoryId = s.Categories["staff-cover"] }, amount = "1.00", reason = "moved",
        })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "to.urn");
        Assert.Equal(entries, await Db.ScalarAsync("SELECT count(*) FROM journal_entry"));
        // either alone still names the school
        var moved = (await s.Root.PostAsync($"{s.Year}/virements", new
        {
            from = new { urn = s.Schools[0].Urn, categoryId = s.Categories["staff-cover"] },
            to = new { schoolId = s.Schools[1].Id, categoryId = s.Categories["staff-cover"] }, amount = "1.00", reason = "moved",
        })).Expect(HttpStatusCode.Created).Json;
        Assert.Equal(await Db.TextAsync("SELECT value_date::text FROM journal_entry WHERE id = $1", moved["entryId"]!.GetValue<long>()),
            moved["valueDate"]!.GetValue<string>()); // the date the virement was given, sent without one
    }

    /// <summary>
    /// Reversing an entry of a year that has ended dates the reversal in that year, as its fundings, allocations and
    /// virements are dated: its last day when no date is given, and a date after it refused naming valueDate. Dated today,
    /// it had changed the year's figures as of no day of the year, its year end's among them (found in an exploratory review).
    /// </summary>
    [Fact]
    public async Task Reversal_OfAnEndedYearsEntry_IsDatedInThatYear_ItsLastDayWhenNoDateIsGiven()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1, year: "2025-26");
        var funded = (await s.Root.PostAsync($"{s.Year}/funding", new { amount = "10000.00", reference = "grant" })).Expect(HttpStatusCode.Created).Json;
        var entry = funded["entryId"]!.GetValue<long>();
        Assert.Equal("2026-08-31", await Db.TextAsync("SELECT value_date::text FROM journal_entry WHERE id = $1", entry));
        Assert.Equal("2026-08-31", funded["valueDate"]!.GetValue<string>()); // the answer says the date it chose

        var refused = (await s.Root.PostAsync($"/api/v1/journal-entries/{entry}/reversal", new { reason = "funded twice", valueDate = "2026-09-01" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "valueDate").Body;
        Assert.Contains("must fall within 2025-26, 1 September 2025 to 31 August 2026", refused);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'reversal'"));

        var reversal = (await s.Root.PostAsync($"/api/v1/journal-entries/{entry}/reversal", new { reason = "funded twice" })).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("2026-08-31", reversal["valueDate"]!.GetValue<string>());
    }

    /// <summary>
    /// An allocation dated ahead is refused as a virement's is: the school could claim it at once, and as of today its
    /// budget would be overdrawn (found by a review of the demo: an allocation dated 2027-08-01, spent in December).
    /// </summary>
    [Fact]
    public async Task Allocate_DatedInTheFuture_Returns422NamingValueDate_AndPostsNothing()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("1000.00");
        var today = GrantLedger.Core.Ledger.UkTime.Today;
        object Allocate(DateOnly on) => new
        {
            valueDate = on.ToString("yyyy-MM-dd"), description = "summer term",
            lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["action-plan"], amount = "50.00" } },
        };

        var problem = (await s.Root.PostAsync($"{s.Year}/allocations", Allocate(today.AddDays(1)))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "valueDate").Json;
        Assert.Contains("cannot be in the future", problem["errors"]!["valueDate"]![0]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM allocation"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM journal_entry WHERE cause_type = 'allocation'"));
        Assert.Equal("1000.00", (await s.AccountAsync("tp:2026-27:unallocated"))["available"]!.GetValue<string>());

        (await s.Root.PostAsync($"{s.Year}/allocations", Allocate(today))).Expect(HttpStatusCode.Created);
        Assert.Equal("50.00", (await s.AccountAsync(s.SchoolAccount(0, "action-plan", "available")))["balance"]!.GetValue<string>());
    }

    /// <summary>Funding dated ahead is refused too: allocated before its date, the programme's unallocated budget is below nought until then.</summary>
    [Fact]
    public async Task Fund_DatedInTheFuture_Returns422NamingValueDate_AndPostsNothing()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var today = GrantLedger.Core.Ledger.UkTime.Today;
        object Fund(DateOnly on) => new { amount = "1000.00", reference = "grant", valueDate = on.ToString("yyyy-MM-dd") };

        var problem = (await s.Root.PostAsync($"{s.Year}/funding", Fund(today.AddDays(1)))).ExpectProblem(HttpStatusCode.UnprocessableEntity, "valueDate").Json;
        Assert.Contains("cannot be in the future", problem["errors"]!["valueDate"]![0]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM funding"));
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM journal_entry"));

        (await s.Root.PostAsync($"{s.Year}/funding", Fund(today))).Expect(HttpStatusCode.Created);
    }

    /// <summary>A year not yet begun is funded and allocated from its first day: left out, the value date would be that day, ahead of today.</summary>
    [Fact]
    public async Task Fund_AYearNotYetBegun_WithoutAValueDate_Returns422SayingWhenTheYearBegins()
    {
        var next = UkTime.Today.Month >= 9 ? UkTime.Today.Year + 1 : UkTime.Today.Year;
        var s = await Scenario.CreateAsync(Db, 1, 1, year: $"{next}-{(next + 1) % 100:00}");
        var problem = (await s.Root.PostAsync($"{s.Year}/funding", new { amount = "1000.00", reference = "grant" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "valueDate").Json;
        Assert.Contains($"cannot be in the future: funding is posted once it is granted; {s.YearCode} begins on 1 September {next}",
            problem["errors"]!["valueDate"]![0]!.GetValue<string>());
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM journal_entry"));
    }

    [Fact]
    public async Task Idempotency_SameKeySameBody_ReturnsFirstResponseAndMovesMoneyOnce()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var body = new { amount = "500.00", reference = "grant", valueDate = "2026-09-01" };
        var first = (await s.Root.PostAsync($"{s.Year}/funding", body, "key-1")).Expect(HttpStatusCode.Created);
        var again = (await s.Root.PostAsync($"{s.Year}/funding", body, "key-1")).Expect(HttpStatusCode.Created);
        Assert.Equal(first.Body, again.Body);
        Assert.True(again.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM funding"));

        (await s.Root.PostAsync($"{s.Year}/funding", body with { amount = "600.00" }, "key-1"))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "Idempotency-Key");
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM funding"));
    }

    [Fact]
    public async Task Idempotency_ARefusedRequest_StoresNothing_SoTheKeyCanBeRetried()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var allocate = new { lines = new[] { new { schoolId = s.Schools[0].Id, categoryId = s.Categories["staff-cover"], amount = "10.00" } } };
        (await s.Root.PostAsync($"{s.Year}/allocations", allocate, "alloc-1")).ExpectProblem(HttpStatusCode.UnprocessableEntity);
        await s.FundAsync("10.00");
        (await s.Root.PostAsync($"{s.Year}/allocations", allocate, "alloc-1")).Expect(HttpStatusCode.Created);
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM allocation"));
    }

    [Fact]
    public async Task Idempotency_ConcurrentRetriesOfOneKey_ProduceOneEffect()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var body = new { amount = "1.00", reference = "grant", valueDate = "2026-09-01" };
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => s.Root.PostAsync($"{s.Year}/funding", body, "same-key")));
        Assert.All(answers, a => a.Expect(HttpStatusCode.Created));
        Assert.Single(answers.Select(a => a.Body).Distinct());
        Assert.Equal(1, await Db.ScalarAsync("SELECT count(*) FROM funding"));
    }

    [Fact]
    public async Task Allocate_ByFinanceOrSchool_Returns403()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        await s.FundAsync("100.00");
        var body = new { each = new { categoryId = s.Categories["staff-cover"], amount = "1.00", allSchools = true } };
        (await (await s.FinanceAsync(Db)).PostAsync($"{s.Year}/allocations", body)).ExpectProblem(HttpStatusCode.Forbidden);
        (await (await s.SchoolUserAsync(Db)).PostAsync($"{s.Year}/allocations", body)).ExpectProblem(HttpStatusCode.Forbidden);
        (await (await s.AuditorAsync(Db)).PostAsync($"{s.Year}/allocations", body)).ExpectProblem(HttpStatusCode.Forbidden);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM allocation"));
    }
}
