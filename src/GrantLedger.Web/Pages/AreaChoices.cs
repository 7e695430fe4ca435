using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Pages;

/// <summary>A programme's areas as a select's options (its id, its name), in the order of their names.</summary>
public static class AreaChoices
{
    /// <summary>The areas; with <paramref name="all"/>, first an option of that text with an empty value (no filter).</summary>
    public static async Task<List<(string Value, string Text)>> OfProgrammeAsync(GrantLedgerDb db, long programmeId, CancellationToken ct,
        string? all = null)
    {
        var areas = await db.Areas.AsNoTracking().Where(a => a.ProgrammeId == programmeId).OrderBy(a => a.Name)
            .Select(a => new { a.Id, a.Name }).ToListAsync(ct);
        var options = new List<(string Value, string Text)>(areas.Count + 1);
        if (all is not null) options.Add(("", all));
        options.AddRange(areas.Select(a => (a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), a.Name)));
        return options;
    }
}
