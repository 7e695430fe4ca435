using GrantLedger.Web.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace GrantLedger.Web.Access;

/// <summary>
/// Who did something, as the pages name them: a user's display name, read for the ids a page shows ("Ada Lovelace",
/// not "user 8"). The API and the exports keep the ids, which stay the same when a name changes.
/// </summary>
public sealed class UserNames(IReadOnlyDictionary<long, string> names)
{
    public static async Task<UserNames> OfAsync(GrantLedgerDb db, IEnumerable<long?> ids, CancellationToken ct)
    {
        var wanted = ids.OfType<long>().Distinct().ToList();
        return new UserNames(await db.Users.AsNoTracking().Where(u => wanted.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct));
    }

    /// <summary>The user's name, or "user 8" for an id no longer known.</summary>
    public string Of(long id) => names.TryGetValue(id, out var name) && !string.IsNullOrWhiteSpace(name) ? name : $"user {id}";
}
