using System.Net;
using System.Text.Json.Nodes;
using GrantLedger.Core.Workflow;
using GrantLedger.Web.Audit;
using GrantLedger.Web.Tests.Support;
using Npgsql;

namespace GrantLedger.Web.Tests.Audit;

/// <summary>
/// The audit trail's actions are a closed list (AuditAction, and audit_action in PostgreSQL, migration 0075): a filter that
/// names none of them is refused rather than answered with nothing, which an auditor read as "nothing of that kind happened",
/// and no event of another action can be written, by the service or by a script.
/// </summary>
public sealed class AuditActionTests(DatabaseFixture db) : DatabaseTest(db)
{
    [Fact]
    public async Task Events_ByAMisspeltRecordTypeOrAction_Are422_NamingTheFieldAndListingWhatItTakes()
    {
        var s = await Scenario.CreateAsync(Db, 1, 1);
        var auditor = await s.AuditorAsync(Db);

        var recordType = (await auditor.GetAsync("/api/v1/audit/events?recordType=payment-run")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "recordType");
        Assert.Contains("payment_run", recordType.Json["errors"]!["recordType"]![0]!.GetValue<string>());
        Assert.Contains("app_user", recordType.Json["errors"]!["recordType"]![0]!.GetValue<string>());
        foreach (var action in new[] { "clam.approve", "claim", "claim.approved", "Claim.approve", "payment_run.", "paymentrun." })
        {
            var refused = (await auditor.GetAsync($"/api/v1/audit/events?action={Uri.EscapeDataString(action)}")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "action");
            var said = refused.Json["errors"]!["action"]![0]!.GetValue<string>();
            Assert.Contains("claim.approve", said);
            Assert.Contains("claim.,", said); // a record part, for every action that starts with it
        }
        // both at once, as the CSV is asked for too
        var both = (await auditor.GetAsync("/api/v1/audit/events?recordType=claims&action=claim.aprove&format=csv")).ExpectProblem(HttpStatusCode.UnprocessableEntity).Json;
        Assert.NotNull(both["errors"]!["recordType"]);
        Assert.NotNull(both["errors"]!["action"]);
    }

    [Fact]
    public async Task Events_TakeEveryRecordTypeAndActionOfTheList_AndFindWhatWasWritten()
    {
        var w = await ClaimWorld.CreateAsync(Db);
        var id = await w.UnderReviewAsync();
        var auditor = await w.S.AuditorAsync(Db);
        foreach (var recordType in AuditAction.RecordTypes)
            (await auditor.GetAsync($"/api/v1/audit/events?recordType={recordType}&limit=1")).Expect(HttpStatusCode.OK);
        foreach (var action in AuditAction.Filters)
            (await auditor.GetAsync($"/api/v1/audit/events?action={Uri.EscapeDataString(action)}&limit=1")).Expect(HttpStatusCode.OK);
        Assert.Contains("claim.", AuditAction.Filters);
        Assert.Contains("payment-run.", AuditAction.Filters);
        var claims = (await auditor.GetAsync($"/api/v1/audit/events?recordType=claim&action=claim.&recordId={id}")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray();
        Assert.Equal(["claim.started", "claim.line-added", "claim.submit", "claim.start-review"], claims.Select(e => e!["action"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("clam.approve", "claim")]           // misspelt
    [InlineData("claim.submit", "payment_run")]     // known, but not written on that record type
    [InlineData("payment-run.built", "payment-run")]
    public async Task AnAuditEvent_OfAnActionTheServiceDoesNotWrite_IsRefusedByPostgreSQL(string action, string recordType)
    {
        var refused = await Assert.ThrowsAsync<PostgresException>(() => Db.ScalarAsync(
            "INSERT INTO audit_event (action, record_type, details) VALUES ($1, $2, '{}') RETURNING id", action, recordType));
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, refused.SqlState);
        Assert.Equal("audit_event_action_known", refused.ConstraintName);
        Assert.Equal(0, await Db.ScalarAsync("SELECT count(*) FROM audit_event"));
        // as the service writes one, by plain SQL too
        Assert.True(await Db.ScalarAsync("INSERT INTO audit_event (action, record_type, details) VALUES ('claim.submit', 'claim', '{}') RETURNING id") > 0);
    }

    [Fact]
    public async Task TheDatabasesListOfActions_IsTheServices_AndNoScriptChangesIt()
    {
        string Said(IEnumerable<string> pairs) => string.Join("; ", pairs.Order(StringComparer.Ordinal));
        await using (var cmd = Db.DataSource.CreateCommand("SELECT action || ' ' || record_type FROM audit_action"))
        {
            var kept = new List<string>();
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) kept.Add(r.GetString(0));
            Assert.Equal(Said(AuditAction.All.Select(a => $"{a.Name} {a.RecordType}")), Said(kept));
        }
        Assert.Equal(AuditAction.All.Count, AuditAction.All.Select(a => a.Name).Distinct().Count()); // each written with one record type
        foreach (var change in new[]
                 {
                     "INSERT INTO audit_action VALUES ('claim.test', 'claim')",
                     "UPDATE audit_action SET action = 'claim.approved' WHERE action = 'claim.approve'",
                     "DELETE FROM audit_action WHERE action = 'claim.submit'",
                 })
            Assert.Equal((change, "GL019"), (change, (await Assert.ThrowsAsync<PostgresException>(() => Db.ScalarAsync(change))).SqlState));
        foreach (var truncate in new[] { "TRUNCATE audit_action", "TRUNCATE audit_action CASCADE" }) // (the trail refers to it; with the trail)
            await Assert.ThrowsAsync<PostgresException>(() => Db.ScalarAsync(truncate));
        Assert.Equal(AuditAction.All.Count, await Db.ScalarAsync("SELECT count(*) FROM audit_action"));
    }

    /// <summary>
    /// A step of a workflow writes "claim.approve", "action-plan.agree", "payment-run.cancel": each trigger of each workflow
    /// is in the list, and in PostgreSQL's, so a trigger added to a workflow without its row fails here, not at its first use.
    /// A claim's steps are written on the claim, but for those a payment run takes, written once for the run's claims on the run.
    /// </summary>
    [Fact]
    public async Task EveryWorkflowTrigger_IsInTheListOfActions_HereAndInPostgreSQL()
    {
        var expected = Enum.GetValues<ClaimTrigger>().Select(t => ($"claim.{Kebab.Of(t)}", ClaimWorkflow.Lifecycle.IsInternal(t) ? "payment_run" : "claim"))
            .Concat(Enum.GetValues<ActionPlanTrigger>().Select(t => ($"action-plan.{Kebab.Of(t)}", "action_plan")))
            .Concat(Enum.GetValues<PaymentRunTrigger>().Select(t => ($"payment-run.{Kebab.Of(t)}", "payment_run")))
            .ToList();
        Assert.Equal(11 + 4 + 4, expected.Count);
        Assert.Equal(expected, Enum.GetValues<ClaimTrigger>().Select(t => AuditAction.Of(t))
            .Concat(Enum.GetValues<ActionPlanTrigger>().Select(t => AuditAction.Of(t)))
            .Concat(Enum.GetValues<PaymentRunTrigger>().Select(t => AuditAction.Of(t)))
            .Select(a => (a.Name, a.RecordType)));
        foreach (var (action, recordType) in expected)
        {
            Assert.Contains(AuditAction.All, a => a.Name == action && a.RecordType == recordType);
            Assert.Equal((action, 1L), (action, await Db.ScalarAsync("SELECT count(*) FROM audit_action WHERE action = $1 AND record_type = $2", action, recordType)));
        }
    }

    [Fact]
    public async Task TheOpenApiDocument_ListsTheRecordTypesAndActionsTheTrailTakes_AndFromAndToAsADateOrAMoment()
    {
        var api = await OpenApi.ReadAsync(Db);
        JsonNode Parameter(string name) =>
            api.Resolve(api.Operations.Single(o => o.Key == "GET /api/v1/audit/events").Query.Single(q => q.Name == name).Schema)!;
        string[] Listed(JsonNode schema) => schema["enum"]?.AsArray().Select(v => v!.GetValue<string>()).ToArray() ?? [];
        Assert.Equal(AuditAction.RecordTypes, Listed(Parameter("recordType")));
        Assert.Contains("payment_run", Listed(Parameter("recordType")));
        var actions = Listed(Parameter("action"));
        Assert.Equal(AuditAction.Filters, actions);
        Assert.Contains("claim.approve", actions);
        Assert.Contains("claim.", actions);
        foreach (var moment in new[] { "from", "to" })
        {
            var schema = Parameter(moment);
            Assert.Equal("string", schema["type"]?.ToString());
            Assert.Null(schema["format"]); // it said date-time alone, and a generated client refused "2026-12-03"
            Assert.Equal(["date", "date-time"], schema["anyOf"]!.AsArray().Select(f => f!["format"]!.GetValue<string>()));
        }
        // a date alone is taken, as the document now says
        var s = await Scenario.CreateAsync(Db, 1, 1);
        (await (await s.AuditorAsync(Db)).GetAsync("/api/v1/audit/events?from=2026-12-03&to=2026-12-04")).Expect(HttpStatusCode.OK);
    }
}
