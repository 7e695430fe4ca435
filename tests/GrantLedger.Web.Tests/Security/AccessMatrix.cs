namespace GrantLedger.Web.Tests.Security;

/// <summary>
/// Who may call each operation of the API, on records in their scope: the specification the
/// authorization matrix test holds the service to, and the role the fuzz test calls each operation as.
/// </summary>
public static class AccessMatrix
{
    public const string S = "school", L = "lead", A = "admin", F = "finance", U = "auditor";
    public static readonly string[] Everyone = [S, L, A, F, U];
    public static readonly string[] Writers = [S, L, A, F];

    /// <summary>Who may call each operation (on records in their scope).</summary>
    public static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["GET /api/v1/me"] = Everyone,
        ["GET /api/v1/me/tokens"] = Everyone,
        ["POST /api/v1/me/tokens"] = Writers,
        ["DELETE /api/v1/me/tokens/{id}"] = Writers,
        ["POST /api/v1/me/password"] = Everyone, // auditors too: their password is their own
        ["GET /api/v1/users"] = [A],
        ["POST /api/v1/users"] = [A],
        ["GET /api/v1/users/{userId}"] = [A],
        ["POST /api/v1/users/{userId}/disable"] = [A],
        ["POST /api/v1/users/{userId}/enable"] = [A],
        ["POST /api/v1/users/{userId}/password-reset"] = [A],
        ["GET /api/v1/users/{userId}/tokens"] = [A],
        ["DELETE /api/v1/users/{userId}/tokens/{id}"] = [A],
        ["GET /api/v1/action-plans/themes"] = Everyone,
        ["POST /api/v1/action-plans"] = [S],
        ["GET /api/v1/action-plans"] = Everyone,
        ["GET /api/v1/action-plans/{planId}"] = Everyone,
        ["PUT /api/v1/action-plans/{planId}"] = [S],
        ["POST /api/v1/action-plans/{planId}/submit"] = [S],
        ["POST /api/v1/action-plans/{planId}/agree"] = [L],
        ["POST /api/v1/action-plans/{planId}/return"] = [L],
        ["POST /api/v1/action-plans/{planId}/revise"] = [S],
        ["POST /api/v1/programmes/{programmeId}/years/{yearId}/funding"] = [A],
        ["POST /api/v1/programmes/{programmeId}/years/{yearId}/allocations"] = [A],
        ["GET /api/v1/programmes/{programmeId}/years/{yearId}/allocations"] = [A, F, U],
        ["POST /api/v1/programmes/{programmeId}/years/{yearId}/virements"] = [A],
        ["POST /api/v1/claims"] = [S],
        ["GET /api/v1/claims"] = Everyone,
        ["GET /api/v1/claims/{claimId}"] = Everyone,
        ["PATCH /api/v1/claims/{claimId}"] = [S],
        ["DELETE /api/v1/claims/{claimId}"] = [S],
        ["POST /api/v1/claims/{claimId}/lines"] = [S],
        ["POST /api/v1/claims/{claimId}/lines/import"] = [S],
        ["PUT /api/v1/claims/{claimId}/lines/{lineId}"] = [S],
        ["DELETE /api/v1/claims/{claimId}/lines/{lineId}"] = [S],
        ["POST /api/v1/claims/{claimId}/evidence"] = [S],
        ["GET /api/v1/evidence/{evidenceId}"] = Everyone,
        ["DELETE /api/v1/evidence/{evidenceId}"] = [S],
        ["POST /api/v1/claims/{claimId}/submit"] = [S],
        ["POST /api/v1/claims/{claimId}/withdraw"] = [S],
        ["POST /api/v1/claims/{claimId}/start-review"] = [L],
        ["POST /api/v1/claims/{claimId}/approve"] = [L],
        ["POST /api/v1/claims/{claimId}/second-approve"] = [A],
        ["POST /api/v1/claims/{claimId}/return"] = [L, A], // the programme admin returns or rejects at second approval
        ["POST /api/v1/claims/{claimId}/reject"] = [L, A],
        ["GET /api/v1/review-queue"] = [L, A],
        ["GET /api/v1/programmes/{programmeId}/accounts"] = Everyone,
        ["GET /api/v1/accounts/{accountId}"] = Everyone,
        ["GET /api/v1/accounts/{accountId}/statement"] = Everyone,
        ["GET /api/v1/programmes/{programmeId}/trial-balance"] = [A, F, U],
        ["GET /api/v1/journal-entries/{entryId}"] = Everyone,
        ["POST /api/v1/journal-entries/{entryId}/reversal"] = [A],
        ["POST /api/v1/programmes/{programmeId}/payment-runs"] = [F],
        ["GET /api/v1/programmes/{programmeId}/payment-runs"] = [A, F, U],
        ["GET /api/v1/programmes/{programmeId}/payments-owed"] = [A, F, U],
        ["GET /api/v1/payment-runs/{runId}"] = [A, F, U],
        ["POST /api/v1/payment-runs/{runId}/approve"] = [F],
        ["POST /api/v1/payment-runs/{runId}/cancel"] = [F],
        ["POST /api/v1/payment-runs/{runId}/export"] = [F],
        ["GET /api/v1/payment-runs/{runId}/file"] = [A, F, U],
        ["POST /api/v1/programmes/{programmeId}/payment-confirmations"] = [F],
        ["POST /api/v1/programmes/{programmeId}/years/{yearId}/periods/{periodId}/close"] = [F],
        ["POST /api/v1/programmes/{programmeId}/years/{yearId}/close"] = [F],
        ["GET /api/v1/programmes/{programmeId}/years/{yearId}/year-end"] = [F],
        ["GET /api/v1/programmes"] = Everyone,
        ["POST /api/v1/programmes"] = [], // only an admin tied to no programme creates programmes (ProgrammeSetUpTests)
        ["GET /api/v1/programmes/{programmeId}"] = Everyone,
        ["PATCH /api/v1/programmes/{programmeId}"] = [A],
        ["GET /api/v1/programmes/{programmeId}/years"] = Everyone,
        ["POST /api/v1/programmes/{programmeId}/years"] = [A],
        ["GET /api/v1/programmes/{programmeId}/years/{yearId}"] = Everyone,
        ["GET /api/v1/programmes/{programmeId}/areas"] = Everyone,
        ["POST /api/v1/programmes/{programmeId}/areas"] = [A],
        ["PATCH /api/v1/areas/{areaId}"] = [A],
        ["GET /api/v1/areas/{areaId}"] = Everyone,
        ["GET /api/v1/programmes/{programmeId}/categories"] = Everyone,
        ["POST /api/v1/programmes/{programmeId}/categories"] = [A],
        ["PATCH /api/v1/categories/{categoryId}"] = [A],
        ["GET /api/v1/categories/{categoryId}"] = Everyone,
        ["GET /api/v1/programmes/{programmeId}/schools"] = Everyone,
        ["POST /api/v1/programmes/{programmeId}/schools"] = [A],
        ["POST /api/v1/programmes/{programmeId}/schools/import"] = [A],
        ["GET /api/v1/schools/{schoolId}"] = Everyone,
        ["GET /api/v1/schools/{schoolId}/payments"] = Everyone,
        ["PATCH /api/v1/schools/{schoolId}"] = [A],
        ["PUT /api/v1/schools/{schoolId}/payee-reference"] = [A],
        ["GET /api/v1/programmes/{programmeId}/rates"] = Everyone,
        ["POST /api/v1/programmes/{programmeId}/exports"] = [A, F, U], // auditors take exports (DESIGN.md); nothing else they write
        ["GET /api/v1/programmes/{programmeId}/exports"] = [A, F, U],
        ["GET /api/v1/exports/{jobId}"] = [A, F, U],
        ["GET /api/v1/exports/{jobId}/file"] = [A, F, U],
        ["GET /api/v1/audit/journal"] = [A, F, U],
        ["GET /api/v1/audit/programmes/{programmeId}/balances"] = [A, F, U],
        ["GET /api/v1/audit/programmes/{programmeId}/trial-balance"] = [A, F, U],
        ["GET /api/v1/audit/accounts/{accountId}/statement"] = [A, F, U],
        ["GET /api/v1/audit/claims/{claimId}/history"] = [A, F, U],
        ["GET /api/v1/audit/events"] = [A, F, U],
        ["GET /api/v1/audit/verification"] = [A, F, U],
        ["GET /api/v1/audit/seal-status"] = [A, F, U],
        ["GET /api/v1/audit/programmes/{programmeId}/checks"] = [A, F, U],
        ["POST /api/v1/audit/programmes/{programmeId}/check-runs"] = [A, F, U], // asking for a run changes no record of the ledger, as an export
        ["GET /api/v1/audit/programmes/{programmeId}/check-runs"] = [A, F, U],
        ["GET /api/v1/audit/check-runs/{checkRunId}"] = [A, F, U],
        ["POST /api/v1/programmes/{programmeId}/rates"] = [A],
        ["GET /api/v1/rates/{rateId}"] = Everyone,
    };

    /// <summary>Operations outside the matrix: signing in, and choosing one's password before that, take no token.</summary>
    public static readonly HashSet<string> Anonymous = ["POST /api/v1/auth/token", "POST /api/v1/auth/password"];

}
