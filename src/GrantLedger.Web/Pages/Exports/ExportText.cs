using GrantLedger.Web.Access;
using GrantLedger.Web.Exports;

namespace GrantLedger.Web.Pages.Exports;

/// <summary>Export kinds and job states in plain English (wwwroot/js/export-progress.js uses the same words for states).</summary>
public static class ExportText
{
    public static readonly (string Value, string Text)[] Kinds =
    [
        ("workbook", "Reconciliation workbook (.xlsx)"),
        ("csv", "CSV tables (a .zip of a CSV file per table)"),
        ("hledger", "Journal for hledger (a .zip: money and staff time)"),
        ("beancount", "Journal for Beancount (a .zip: money and staff time)"),
    ];

    public static string Kind(string kind) => Kinds.FirstOrDefault(k => k.Value == kind).Text ?? kind;

    public static string State(string state) => state switch
    {
        "queued" => "Waiting to start",
        "running" => "In progress",
        "succeeded" => "Ready",
        "failed" => "Failed",
        _ => Gov.Words(state),
    };

    /// <summary>Starting exports: funder finance, programme admins and auditors, as POST /api/v1/programmes/{id}/exports allows.</summary>
    public const string StartRoles = Roles.Staff;

    public static bool MayStart(CurrentUser caller) => caller.Role is Roles.ProgrammeAdmin or Roles.FunderFinance or Roles.Auditor;

    /// <summary>Where a succeeded export read the ledger (<see cref="ReportsReplica"/>).</summary>
    public static string ReadFrom(string readFrom) => readFrom switch
    {
        ReportsReplica.Replica => "The reports replica, once it held everything recorded before the export was asked for",
        _ => "The service's database",
    };

    public static string Size(long? bytes) => bytes switch
    {
        null => "",
        < 1024 => $"{bytes} bytes",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KB",
        _ => $"{bytes / 1024.0 / 1024.0:0.#} MB",
    };

    public static bool Finished(ExportJobView j) => j.State is "succeeded" or "failed";
}
