using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GrantLedger.Core.Ledger;
using GrantLedger.Core.Money;
using GrantLedger.Web.Access;
using GrantLedger.Web.Allocations;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Infrastructure;
using GrantLedger.Web.Programmes;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Demo;

/// <summary>
/// The two pilots as a newcomer should see them: Difference Matters (7 London boroughs, three
/// secondary schools each) and PINS (42 ICBs of 40 primary schools, £13m). Loaded through the same
/// use cases as the API, and only once: a programme already present is left as it is. Demo users
/// get fixed passwords and tokens, written to .data/demo-credentials.json: demo mode only.
/// </summary>
public sealed partial class DemoData(GrantLedgerDb db, UserManager<AppUser> users, AuditTrail audit, GrantLedgerOptions options,
    ILogger<DemoData> log)
{
    public const string Password = "demo-password-2026";
    public static readonly DateOnly Today = UkTime.Today;

    public sealed record Credential(string UserName, string DisplayName, string Role, string Scope, string Password, string Token);

    public async Task LoadAsync(CancellationToken ct)
    {
        var admin = await EnsureUserAsync("admin", "Programme administrator (all programmes)", Roles.ProgrammeAdmin, null, null, null, ct);
        var actor = CurrentUser.From(new System.Security.Claims.ClaimsPrincipal(
            new System.Security.Claims.ClaimsIdentity(CurrentUser.ClaimsOf(admin), "demo")));
        audit.ActingOutsideRequests = actor;

        // each programme loads whole or not at all, so a failed run leaves nothing half-made
        foreach (var programme in new[] { DifferenceMatters, Pins })
            await db.InTransactionAsync(() => LoadProgrammeAsync(actor, programme, ct), ct);
        await EnsureUserAsync("auditor", "Internal auditor", Roles.Auditor, null, null, null, ct);
        foreach (var p in new[] { DifferenceMatters, Pins }) await EnsureProgrammeUsersAsync(p, ct);
        foreach (var p in new[] { DifferenceMatters, Pins }) await LoadWorkAsync(p, ct);
        audit.ActingOutsideRequests = actor;

        var credentials = await CredentialsAsync(ct);
        var file = Path.Combine(DatabaseEndpoint.DataDirectory(options), "demo-credentials.json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(credentials, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }), ct);
        Print(credentials, file);
    }

    private async Task LoadProgrammeAsync(CurrentUser actor, DemoProgramme d, CancellationToken ct)
    {
        if (await db.Programmes.AnyAsync(p => p.Code == d.Code, ct))
        {
            log.LogInformation("Demo programme {Code} is already loaded", d.Code);
            return;
        }
        log.LogInformation("Loading demo programme {Code}", d.Code);
        var programme = await SetUp.CreateProgrammeAsync(db, audit, actor,
            new SetUp.NewProgramme(d.Code, d.Name, d.Funder, d.AreaKind, d.SecondApprovalThreshold), ct);
        var year = await Years.AddAsync(db, audit, actor, programme.Id, new Years.NewYear(CurrentAcademicYear(), null), ct);
        foreach (var (code, name) in d.Areas) await SetUp.AddAreaAsync(db, audit, actor, programme.Id, new SetUp.NewArea(code, name), ct);
        var categories = new Dictionary<string, BudgetCategory>();
        foreach (var (code, name, kind) in d.Categories)
            categories[code] = await SetUp.AddCategoryAsync(db, audit, actor, programme.Id, new SetUp.NewCategory(code, name, null, kind), ct);

        // Schools arrive as a Get Information About Schools extract, through the import.
        var csv = new StringBuilder("URN,EstablishmentName,LA (name),PhaseOfEducation (name),Area,PayeeReference\n");
        var urn = d.FirstUrn;
        for (var a = 0; a < d.Areas.Length; a++)
            for (var s = 0; s < d.SchoolsPerArea; s++, urn++)
                csv.Append(CultureInfo.InvariantCulture, $"{urn},\"{SchoolName(urn, d.Phase)}\",\"{d.Areas[a].Name}\",{d.Phase},{d.Areas[a].Code},SUP-{urn}\n");
        var imported = await ImportSchools.RunAsync(db, audit, actor, programme.Id, null, new MemoryStream(Encoding.UTF8.GetBytes(csv.ToString())), ct);
        if (imported.Rejected > 0)
            throw new InvalidOperationException($"demo schools rejected: {string.Join("; ", imported.Rejections.Take(3).Select(r => $"line {r.Line}: {r.Reason}"))}");

        var start = year.StartsOn;
        await Fund.HandleAsync(db, audit, actor, programme.Id, year.Id,
            new Fund.Request("GBP", d.Funding, null, $"{d.Funder} grant {year.Code}", start), ct);
        var schoolCount = d.Areas.Length * d.SchoolsPerArea;
        var minutes = d.Allowances.Sum(a => a.MinutesPerSchool) * (long)schoolCount;
        if (minutes > 0)
            await Fund.HandleAsync(db, audit, actor, programme.Id, year.Id,
                new Fund.Request("MIN", null, minutes, $"Staff-time allowances {year.Code}", start), ct);

        foreach (var (category, total) in d.Splits)
            await Allocate.HandleAsync(db, audit, actor, programme.Id, year.Id, new Allocate.Request(start,
                $"{categories[category].Name}: {new Money(total.Pence)} shared across {schoolCount.ToString("#,0", CultureInfo.InvariantCulture)} schools", null,
                new Allocate.Spread(categories[category].Id, total, null, null, null, true), null), ct);
        foreach (var (category, each) in d.Allowances)
            await Allocate.HandleAsync(db, audit, actor, programme.Id, year.Id, new Allocate.Request(start,
                $"{categories[category].Name}: {new Minutes(each)} per school", null, null,
                new Allocate.Spread(categories[category].Id, null, each, null, null, true)), ct);
    }

    private async Task EnsureProgrammeUsersAsync(DemoProgramme d, CancellationToken ct)
    {
        var programme = await db.Programmes.SingleAsync(p => p.Code == d.Code, ct);
        var area = await db.Areas.Where(a => a.ProgrammeId == programme.Id).OrderBy(a => a.Id).FirstAsync(ct);
        var schools = await db.Schools.Where(s => s.AreaId == area.Id).OrderBy(s => s.Urn).Take(3).ToListAsync(ct);
        await EnsureUserAsync($"{d.Code}-admin", $"{d.Name} programme admin", Roles.ProgrammeAdmin, programme.Id, null, null, ct);
        await EnsureUserAsync($"{d.Code}-finance", $"{d.Funder} finance officer", Roles.FunderFinance, programme.Id, null, null, ct);
        await EnsureUserAsync($"{d.Code}-finance-checker", $"{d.Funder} finance approver", Roles.FunderFinance, programme.Id, null, null, ct);
        await EnsureUserAsync($"{d.Code}-area-lead", $"{area.Name} lead", Roles.AreaLead, programme.Id, area.Id, null, ct);
        for (var i = 0; i < schools.Count; i++)
            await EnsureUserAsync(SchoolUser(d, i), $"{schools[i].Name} business manager", Roles.SchoolBusinessManager, programme.Id, null, schools[i].Id, ct);
    }

    private async Task<AppUser> EnsureUserAsync(string userName, string displayName, string role, long? programmeId, long? areaId,
        long? schoolId, CancellationToken ct)
    {
        var user = await users.FindByNameAsync(userName);
        if (user is null)
        {
            user = new AppUser
            {
                UserName = userName, DisplayName = displayName, Role = role, ProgrammeId = programmeId, AreaId = areaId, SchoolId = schoolId,
                LockoutEnabled = true,
            };
            var created = await users.CreateAsync(user, Password);
            if (!created.Succeeded) throw new InvalidOperationException(string.Join("; ", created.Errors.Select(e => e.Description)));
            audit.Record(AuditAction.UserCreated, user.Id, programmeId, new { user.UserName, user.Role, programmeId, areaId, schoolId, via = "demo" });
        }
        var token = DemoToken(userName);
        var hash = ApiTokens.Hash(token);
        if (!await db.ApiTokens.AnyAsync(t => t.TokenHash == hash, ct))
        {
            // with its event, in one transaction: the token is created at the event's time
            await db.InTransactionAsync(async () =>
            {
                var (issued, _) = await ApiTokens.IssueAsync(db, user.Id, "demo", TimeSpan.FromDays(365), token, ct);
                audit.Record(AuditAction.TokenIssued, issued.Id, programmeId, new { issued.Name, issued.ExpiresAt, forUser = user.UserName, via = "demo" });
                await db.SaveChangesAsync(ct);
            }, ct);
        }
        await db.SaveChangesAsync(ct);
        return user;
    }

    /// <summary>Fixed per user, so that a second run prints the same tokens. Demo mode only.</summary>
    public static string DemoToken(string userName) =>
        ApiTokens.Prefix + "demo_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("grantledger-demo:" + userName)))[..32];

    private async Task<List<Credential>> CredentialsAsync(CancellationToken ct)
    {
        var demoHashes = await db.ApiTokens.Where(t => t.Name == "demo").Select(t => t.UserId).ToListAsync(ct);
        var all = await db.Users.AsNoTracking().Where(u => demoHashes.Contains(u.Id)).OrderBy(u => u.Id).ToListAsync(ct);
        var areas = await db.Areas.AsNoTracking().ToDictionaryAsync(a => a.Id, a => a.Name, ct);
        var schools = await db.Schools.AsNoTracking().Where(s => all.Select(u => u.SchoolId).Contains(s.Id)).ToDictionaryAsync(s => s.Id, ct);
        var programmes = await db.Programmes.AsNoTracking().ToDictionaryAsync(p => p.Id, p => p.Code, ct);
        return all.Select(u => new Credential(u.UserName!, u.DisplayName, u.Role,
            u.SchoolId is { } s ? $"school {schools[s].Urn} {schools[s].Name}"
            : u.AreaId is { } a ? $"area {areas[a]} ({programmes[u.ProgrammeId!.Value]})"
            : u.ProgrammeId is { } p ? $"programme {programmes[p]}"
            : "all programmes",
            Password, DemoToken(u.UserName!))).ToList();
    }

    private static void Print(List<Credential> credentials, string file)
    {
        var text = new StringBuilder("\nDemo users (password for each: " + Password + "):\n");
        foreach (var c in credentials)
            text.Append(CultureInfo.InvariantCulture, $"  {c.UserName,-22} {Roles.Describe(c.Role),-24} {c.Scope,-48} {c.Token}\n");
        text.Append(CultureInfo.InvariantCulture, $"Written to {file}\n");
        Console.WriteLine(text);
    }

    /// <summary>
    /// The academic year we are in now, from 1 September; but until 21 September the one before: the demo's claims are for
    /// work on days of the year's first three weeks, and work cannot be claimed before it is done.
    /// </summary>
    public static string CurrentAcademicYear()
    {
        var y = Today >= new DateOnly(Today.Year, 9, 21) ? Today.Year : Today.Year - 1;
        return $"{y}-{(y + 1) % 100:00}";
    }
}
