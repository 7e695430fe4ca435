using GrantLedger.Web.Access;

namespace GrantLedger.Bench;

/// <summary>Users and their API tokens written straight into the database (as the CLI's admin create does), in bulk.</summary>
public static class BenchUsers
{
    /// <summary>A programme admin of the programme, with a token.</summary>
    public static async Task<string> ProgrammeAdminAsync(BenchCluster db, long programmeId, string userName)
    {
        var userId = (long)(await db.Scalar("""
            INSERT INTO app_user (user_name, normalized_user_name, display_name, role, programme_id)
            VALUES ($1, upper($1), $1, 'programme_admin', $2) RETURNING id
            """, userName, programmeId))!;
        return await TokenAsync(db, userId);
    }

    /// <summary>A school business manager for each of the programme's schools, with a token each: token by school id.</summary>
    public static async Task<Dictionary<long, string>> SchoolManagersAsync(BenchCluster db, long programmeId)
    {
        await db.Exec("""
            INSERT INTO app_user (user_name, normalized_user_name, display_name, role, programme_id, school_id)
            SELECT 'sbm-' || s.urn, 'SBM-' || s.urn, 'School business manager ' || s.urn, 'school_business_manager', s.programme_id, s.id
              FROM school s WHERE s.programme_id = $1 ORDER BY s.id
            """, programmeId);
        var users = new List<(long User, long School)>();
        await using (var cmd = db.DataSource.CreateCommand("SELECT id, school_id FROM app_user WHERE programme_id = $1 AND school_id IS NOT NULL"))
        {
            cmd.Parameters.Add(new() { Value = programmeId });
            await using var rows = await cmd.ExecuteReaderAsync();
            while (await rows.ReadAsync()) users.Add((rows.GetInt64(0), rows.GetInt64(1)));
        }
        var tokens = users.ToDictionary(u => u.School, _ => ApiTokens.NewToken());
        await db.Exec("""
            INSERT INTO api_token (user_id, name, token_hash, prefix, expires_at)
            SELECT u, 'bench', h, p, now() + interval '1 day' FROM unnest($1::bigint[], $2::bytea[], $3::text[]) AS t(u, h, p)
            """, users.Select(u => u.User).ToArray(), users.Select(u => ApiTokens.Hash(tokens[u.School])).ToArray(),
            users.Select(u => ApiTokens.Shown(tokens[u.School])).ToArray());
        return tokens;
    }

    private static async Task<string> TokenAsync(BenchCluster db, long userId)
    {
        var token = ApiTokens.NewToken();
        await db.Exec("INSERT INTO api_token (user_id, name, token_hash, prefix, expires_at) VALUES ($1, 'bench', $2, $3, now() + interval '1 day')",
            userId, ApiTokens.Hash(token), ApiTokens.Shown(token));
        return token;
    }
}
