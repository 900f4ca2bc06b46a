-- Written by `npm run db:kept` (scripts/kept-statements.ts): the kept statements of src/db/kept-statements.ts.
create function "edge_kept_187bb322489e0d93"(timestamp with time zone, uuid, timestamp with time zone, text, text, jsonb, timestamp with time zone, timestamp with time zone, text, text, jsonb, timestamp with time zone, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, text, integer, text, integer, text, integer, text, integer) returns table("issued" boolean, "fresh" boolean)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with consumed as (
      update "authorization_codes" set consumed = $1::timestamptz
      where "authorization_codes"."id" = $2::uuid and "authorization_codes"."consumed" is null and (not "authorization_codes"."expiring" or "authorization_codes"."expires" > $3::timestamptz) and true
      returning provider_id, user_id, grant_id, scope, auth_time, session_id, resources),
    access as (insert into "access_tokens" (token_hash, jti, provider_id, user_id, grant_id, scope, auth_time, session_id,
      id_token, audience, created, expires, jkt)
    select $4::text, $5::text, provider_id, user_id, grant_id, scope, auth_time, session_id,
      $6::jsonb, null::jsonb, $7::timestamptz, $8::timestamptz,
      $9::text
    from consumed returning id)
    , refresh as (insert into "refresh_tokens" (token_hash, provider_id, user_id, grant_id, scope, auth_time, session_id,
      resources, id_token, created, expires, jkt)
    select $10::text, provider_id, user_id, grant_id, scope, auth_time, session_id,
      resources, $11::jsonb, $12::timestamptz, $13::timestamptz, $14::text from consumed returning id), given_back as (insert into "login_attempts" (key, window_start, count, expires, expiring)
      select v.key, $15::timestamptz, greatest(v.delta, 0), $16::timestamptz, true
      from (values ($17::text, $18::int), ($19::text, $20::int)) as v(key, delta) order by v.key
      on conflict (key, window_start) do update
        set count = greatest("login_attempts"."count" + case excluded.key when $21::text then $22::int when $23::text then $24::int end, 0)
      returning key, count)
    select exists (select 1 from access) as issued, null::boolean as fresh;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_2aa68442e28a3a2c"(uuid, timestamp with time zone, text, text, jsonb, timestamp with time zone, timestamp with time zone, text, text, jsonb, timestamp with time zone, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, timestamp with time zone, text, integer, text, integer, text, integer, text, integer) returns table("issued" boolean, "fresh" boolean)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with rotating as (
      select id, provider_id, user_id, grant_id, scope, auth_time, session_id, resources from "refresh_tokens"
      where "refresh_tokens"."id" = $1::uuid and not "refresh_tokens"."revoked" and (not "refresh_tokens"."expiring" or "refresh_tokens"."expires" > $2::timestamptz) and true for update),
    access as (insert into "access_tokens" (token_hash, jti, provider_id, user_id, grant_id, scope, auth_time, session_id,
      id_token, audience, created, expires, jkt)
    select $3::text, $4::text, provider_id, user_id, grant_id, scope, auth_time, session_id,
      $5::jsonb, null::jsonb, $6::timestamptz, $7::timestamptz,
      $8::text
    from rotating returning id),
    refresh as (insert into "refresh_tokens" (token_hash, provider_id, user_id, grant_id, scope, auth_time, session_id,
      resources, id_token, created, expires, jkt)
    select $9::text, provider_id, user_id, grant_id, scope, auth_time, session_id,
      resources, $10::jsonb, $11::timestamptz, $12::timestamptz, $13::text from rotating returning id),
    rotated as (update "refresh_tokens" set revoked = true, rotated = $14::timestamptz, successor_id = (select id from refresh)
      where "refresh_tokens"."id" in (select id from rotating)), given_back as (insert into "login_attempts" (key, window_start, count, expires, expiring)
      select v.key, $15::timestamptz, greatest(v.delta, 0), $16::timestamptz, true
      from (values ($17::text, $18::int), ($19::text, $20::int)) as v(key, delta) order by v.key
      on conflict (key, window_start) do update
        set count = greatest("login_attempts"."count" + case excluded.key when $21::text then $22::int when $23::text then $24::int end, 0)
      returning key, count)
    select exists (select 1 from access) as issued, null::boolean as fresh;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_340c592cc10d3615"(text, integer, timestamp with time zone, timestamp with time zone, timestamp with time zone, timestamp with time zone, text, integer, timestamp with time zone, jsonb, text, text, text, timestamp with time zone, timestamp with time zone, text, text, text, timestamp with time zone, timestamp with time zone, integer, text, jsonb, text, jsonb, text, timestamp with time zone, timestamp with time zone) returns table("id" uuid, "notifications" json)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with ended as (
      delete from "authenticated_sessions" where "authenticated_sessions"."session_key_hash" = $1
        and "authenticated_sessions"."user_id" <> $2 and (not "authenticated_sessions"."expiring" or "authenticated_sessions"."expires" > $3::timestamptz)
      returning id, user_id, session_key_hash, origin)
    , queued as (
    insert into logout_notifications (provider_id, user_id, sid, origin, next_attempt, created, expires)
    select p.id, s.user_id, s.session_key_hash, s.origin, $4::timestamptz, $5::timestamptz, $6::timestamptz
    from ended s join oauth2_providers p on p.logout_method = 'backchannel' and p.logout_uri <> ''
    where exists (select 1 from access_tokens a where a.session_id = s.id and a.provider_id = p.id)
       or exists (select 1 from refresh_tokens r where r.session_id = s.id and r.provider_id = p.id)
    returning id)
    , created as (insert into "authenticated_sessions" ("id", "session_key_hash", "user_id", "login_time", "amr", "last_ip", "last_user_agent", "origin", "created", "expires", "expiring") values (default, $7, $8, $9, $10, $11, $12, $13, $14, $15, default) returning "id")
    , refunded as (update "login_attempts" set "count" = greatest("login_attempts"."count" - 1, 0) where ("login_attempts"."key" in ($16, $17, $18) and "login_attempts"."window_start" = $19)), touched as (update "users" set "last_login" = $20 where "users"."id" = $21),
    signed_in as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
    select $22::text, $23::jsonb, $24::text,
      $25::jsonb, $26::text, $27::timestamptz, $28::timestamptz )
    select id, coalesce((select json_agg(id) from queued), '[]'::json) as notifications from created;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_3f186cd0f81589dc"(text, text, timestamp with time zone, text, timestamp with time zone, text, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, integer, integer, integer, text, timestamp with time zone, timestamp with time zone, integer) returns table("provider" json, "application" json, "signing_key" json, "encryption_key" json, "scope_mappings" json, "grant" json, "attempt_pair" integer, "attempt_address" integer, "attempt_before" json, "counters_only_commit" text)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with provider as (select * from "oauth2_providers" where client_id = $1::text),
    attempt_before as (select coalesce((select l.count from "login_attempts" l
  where l.key = $2::text and l.window_start = $3::timestamptz), 0) as failed,
      coalesce((select l.count from "login_attempts" l
  where l.key = $4::text and l.window_start = $5::timestamptz), 0) as account,
      coalesce((select l.count from "login_attempts" l
  where l.key = $6::text and l.window_start = $7::timestamptz), 0) as address), attempt_pair as (insert into "login_attempts" (key, window_start, count, expires, expiring)
      select $8::text, $9::timestamptz, 1, $10::timestamptz, true from attempt_before where exists (select 1 from provider) and not (failed > 0 and account >= $11::int)
    and address < $12::int
      on conflict (key, window_start) do update set count = "login_attempts"."count" + 1
        where "login_attempts"."count" < $13::int
      returning count), attempt_address as (insert into "login_attempts" (key, window_start, count, expires, expiring)
      select $14::text, $15::timestamptz, 1, $16::timestamptz, true from attempt_before where exists (select 1 from attempt_pair) or not exists (select 1 from provider)
      on conflict (key, window_start) do update set count = "login_attempts"."count" + 1
        where "login_attempts"."count" < $17::int
      returning count)
    select (select row_to_json(provider) from provider) as provider,
  (select row_to_json(a) from "applications" a, provider where a.provider_id = provider.id) as application,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.signing_key_id) as signing_key,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.encryption_key_id) as encryption_key,
  (select coalesce(json_agg(row_to_json(m)), '[]'::json) from "scope_mappings" m
    join "oauth2_provider_scope_mappings" pm on pm.scope_mapping_id = m.id join provider on provider.id = pm.provider_id)
    as scope_mappings, (select (select json_build_object('serviceAccount', (select json_build_object('username', n.username, 'user', (select json_build_object(
      'id', u.id, 'uuid', u.uuid, 'username', u.username, 'name', u.name, 'email', u.email,
      'isActive', u.is_active, 'type', u.type, 'attributes', u.attributes,
      'groups', coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
        from group_memberships m join groups g on g.id = m.group_id where m.user_id = u.id), '[]'::json))
    from users u where u.id = a.id),
      'id', coalesce(a.id, case when true then nextval(pg_get_serial_sequence('users', 'id')) end))
    from (select 'ak-' || left(self.name, 128) || '-client_credentials' as username) n left join "users" a on a.username = n.username)) from "oauth2_providers" self where self.id = provider.id) from provider) as "grant", (select count from attempt_pair) as attempt_pair,
  (select count from attempt_address) as attempt_address,
  (select row_to_json(attempt_before) from attempt_before) as attempt_before, set_config('synchronous_commit', 'off', true) as counters_only_commit;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_3fe6c1f372b713e5"(text, timestamp with time zone) returns table("id" uuid, "revoked" boolean, "jkt" text, "proofFresh" boolean, "scope" text, "idToken" jsonb, "user" json, "userJoined" json, "provider" json, "application" json, "scopeMappings" json)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query 
    select "access_tokens"."id" as "id", "access_tokens"."revoked" as "revoked",
      "access_tokens"."jkt" as "jkt", null::boolean as "proofFresh",
      "access_tokens"."scope" as "scope", "access_tokens"."id_token" as "idToken",
      (select json_build_object(
      'id', u.id, 'uuid', u.uuid, 'username', u.username, 'name', u.name, 'email', u.email,
      'isActive', u.is_active, 'type', u.type, 'attributes', u.attributes,
      'groups', coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
        from group_memberships m join groups g on g.id = m.group_id where m.user_id = u.id), '[]'::json))
    from users u where u.id = "access_tokens"."user_id") as "user",
      (select to_json(u.created) from users u where u.id = "access_tokens"."user_id") as "userJoined",
      json_build_object('id', "oauth2_providers"."id", 'name', "oauth2_providers"."name", 'clientId', "oauth2_providers"."client_id",
        'subMode', "oauth2_providers"."sub_mode", 'redirectUris', "oauth2_providers"."redirect_uris",
        'dpopRequireNonce', "oauth2_providers"."dpop_require_nonce") as "provider",
      (select json_build_object('id', a.id, 'name', a.name, 'slug', a.slug, 'metaLaunchUrl', a.meta_launch_url)
        from "applications" a where a.provider_id = "oauth2_providers"."id") as "application",
      coalesce((select json_agg(json_build_object('name', m.name, 'scopeName', m.scope_name, 'expression', m.expression)
          order by m.scope_name, m.name)
        from "oauth2_provider_scope_mappings" l join "scope_mappings" m on m.id = l.scope_mapping_id
        where l.provider_id = "oauth2_providers"."id"), '[]'::json) as "scopeMappings"
    from "access_tokens" join "oauth2_providers" on "oauth2_providers"."id" = "access_tokens"."provider_id"
    where "access_tokens"."token_hash" = $1 and (not "access_tokens"."expiring" or "access_tokens"."expires" > $2::timestamptz);
end
$kept$;
--> statement-breakpoint
create function "edge_kept_51ca92513dff475c"(text, text, timestamp with time zone) returns table("provider" json, "application" json, "signing_key" json, "encryption_key" json, "scope_mappings" json, "session" json, "pushed" jsonb)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with provider as (select * from "oauth2_providers" where client_id = $1::text) select (select row_to_json(provider) from provider) as provider,
  (select row_to_json(a) from "applications" a, provider where a.provider_id = provider.id) as application,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.signing_key_id) as signing_key,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.encryption_key_id) as encryption_key,
  (select coalesce(json_agg(row_to_json(m)), '[]'::json) from "scope_mappings" m
    join "oauth2_provider_scope_mappings" pm on pm.scope_mapping_id = m.id join provider on provider.id = pm.provider_id)
    as scope_mappings, (select json_build_object('id', s.id, 'loginTime', s.login_time, 'amr', s.amr,
      'user', (select json_build_object(
      'id', u.id, 'uuid', u.uuid, 'username', u.username, 'name', u.name, 'email', u.email,
      'isActive', u.is_active, 'type', u.type, 'attributes', u.attributes,
      'groups', coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
        from group_memberships m join groups g on g.id = m.group_id where m.user_id = u.id), '[]'::json))
    from users u where u.id = s.user_id))
    from authenticated_sessions s where s.session_key_hash = $2
      and (not s.expiring or s.expires > $3::timestamptz)) as session, null::jsonb as pushed;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_60e7aa7dca48a979"(text, text, timestamp with time zone, text, timestamp with time zone, text, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, integer, integer, integer, text, timestamp with time zone, timestamp with time zone, integer, text, timestamp with time zone) returns table("provider" json, "application" json, "signing_key" json, "encryption_key" json, "scope_mappings" json, "grant" json, "attempt_pair" integer, "attempt_address" integer, "attempt_before" json, "counters_only_commit" text)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with provider as (select * from "oauth2_providers" where client_id = $1::text),
    attempt_before as (select coalesce((select l.count from "login_attempts" l
  where l.key = $2::text and l.window_start = $3::timestamptz), 0) as failed,
      coalesce((select l.count from "login_attempts" l
  where l.key = $4::text and l.window_start = $5::timestamptz), 0) as account,
      coalesce((select l.count from "login_attempts" l
  where l.key = $6::text and l.window_start = $7::timestamptz), 0) as address), attempt_pair as (insert into "login_attempts" (key, window_start, count, expires, expiring)
      select $8::text, $9::timestamptz, 1, $10::timestamptz, true from attempt_before where exists (select 1 from provider) and not (failed > 0 and account >= $11::int)
    and address < $12::int
      on conflict (key, window_start) do update set count = "login_attempts"."count" + 1
        where "login_attempts"."count" < $13::int
      returning count), attempt_address as (insert into "login_attempts" (key, window_start, count, expires, expiring)
      select $14::text, $15::timestamptz, 1, $16::timestamptz, true from attempt_before where exists (select 1 from attempt_pair) or not exists (select 1 from provider)
      on conflict (key, window_start) do update set count = "login_attempts"."count" + 1
        where "login_attempts"."count" < $17::int
      returning count)
    select (select row_to_json(provider) from provider) as provider,
  (select row_to_json(a) from "applications" a, provider where a.provider_id = provider.id) as application,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.signing_key_id) as signing_key,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.encryption_key_id) as encryption_key,
  (select coalesce(json_agg(row_to_json(m)), '[]'::json) from "scope_mappings" m
    join "oauth2_provider_scope_mappings" pm on pm.scope_mapping_id = m.id join provider on provider.id = pm.provider_id)
    as scope_mappings, (select (select json_build_object(
      'id', "id", 'grantId', "grant_id", 'scope', "scope", 'authTime', "auth_time",
      'redirectUri', "redirect_uri", 'nonce', "nonce", 'codeChallenge', "code_challenge",
      'codeChallengeMethod', "code_challenge_method", 'consumed', "consumed" is not null,
      'resources', "resources",
      'user', (select json_build_object(
      'id', u.id, 'uuid', u.uuid, 'username', u.username, 'name', u.name, 'email', u.email,
      'isActive', u.is_active, 'type', u.type, 'attributes', u.attributes,
      'groups', coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
        from group_memberships m join groups g on g.id = m.group_id where m.user_id = u.id), '[]'::json))
    from users u where u.id = "authorization_codes"."user_id"),
      'session', (select json_build_object('amr', s.amr, 'sid', s.session_key_hash)
        from "authenticated_sessions" s where s.id = "session_id")) from "authorization_codes" where ("authorization_codes"."code_hash" = $18 and "authorization_codes"."provider_id" = provider.id and (not "authorization_codes"."expiring" or "authorization_codes"."expires" > $19::timestamptz))) from provider) as "grant", (select count from attempt_pair) as attempt_pair,
  (select count from attempt_address) as attempt_address,
  (select row_to_json(attempt_before) from attempt_before) as attempt_before, set_config('synchronous_commit', 'off', true) as counters_only_commit;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_6cf373490c229d15"(text, text, timestamp with time zone, text, timestamp with time zone, text, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, integer, integer, integer, text, timestamp with time zone, timestamp with time zone, integer, text, timestamp with time zone) returns table("provider" json, "application" json, "signing_key" json, "encryption_key" json, "scope_mappings" json, "grant" json, "attempt_pair" integer, "attempt_address" integer, "attempt_before" json, "counters_only_commit" text)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with provider as (select * from "oauth2_providers" where client_id = $1::text),
    attempt_before as (select coalesce((select l.count from "login_attempts" l
  where l.key = $2::text and l.window_start = $3::timestamptz), 0) as failed,
      coalesce((select l.count from "login_attempts" l
  where l.key = $4::text and l.window_start = $5::timestamptz), 0) as account,
      coalesce((select l.count from "login_attempts" l
  where l.key = $6::text and l.window_start = $7::timestamptz), 0) as address), attempt_pair as (insert into "login_attempts" (key, window_start, count, expires, expiring)
      select $8::text, $9::timestamptz, 1, $10::timestamptz, true from attempt_before where exists (select 1 from provider) and not (failed > 0 and account >= $11::int)
    and address < $12::int
      on conflict (key, window_start) do update set count = "login_attempts"."count" + 1
        where "login_attempts"."count" < $13::int
      returning count), attempt_address as (insert into "login_attempts" (key, window_start, count, expires, expiring)
      select $14::text, $15::timestamptz, 1, $16::timestamptz, true from attempt_before where exists (select 1 from attempt_pair) or not exists (select 1 from provider)
      on conflict (key, window_start) do update set count = "login_attempts"."count" + 1
        where "login_attempts"."count" < $17::int
      returning count)
    select (select row_to_json(provider) from provider) as provider,
  (select row_to_json(a) from "applications" a, provider where a.provider_id = provider.id) as application,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.signing_key_id) as signing_key,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.encryption_key_id) as encryption_key,
  (select coalesce(json_agg(row_to_json(m)), '[]'::json) from "scope_mappings" m
    join "oauth2_provider_scope_mappings" pm on pm.scope_mapping_id = m.id join provider on provider.id = pm.provider_id)
    as scope_mappings, (select (select json_build_object(
      'id', "id", 'grantId', "grant_id", 'scope', "scope", 'authTime', "auth_time", 'expires', "expires",
      'revoked', "revoked", 'jkt', "jkt", 'idToken', "id_token", 'user', (select json_build_object(
      'id', u.id, 'uuid', u.uuid, 'username', u.username, 'name', u.name, 'email', u.email,
      'isActive', u.is_active, 'type', u.type, 'attributes', u.attributes,
      'groups', coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
        from group_memberships m join groups g on g.id = m.group_id where m.user_id = u.id), '[]'::json))
    from users u where u.id = "refresh_tokens"."user_id"),
      'resources', "resources",
      'sid', (select s.session_key_hash from "authenticated_sessions" s where s.id = "session_id"),
      'rotation', json_build_object('rotated', "refresh_tokens"."rotated", 'successor', (select json_build_object('id', s.id,
      'unused', not s.revoked and s.rotated is null and not exists (select 1 from "access_tokens" a
        where a.grant_id = s.grant_id and a.provider_id = s.provider_id and a.created > s.created))
    from "refresh_tokens" s
    where s.id = "refresh_tokens"."successor_id" and s.provider_id = "refresh_tokens"."provider_id" and s.grant_id = "refresh_tokens"."grant_id"))) from "refresh_tokens" where ("refresh_tokens"."token_hash" = $18 and "refresh_tokens"."provider_id" = provider.id and (not "refresh_tokens"."expiring" or "refresh_tokens"."expires" > $19::timestamptz))) from provider) as "grant", (select count from attempt_pair) as attempt_pair,
  (select count from attempt_address) as attempt_address,
  (select row_to_json(attempt_before) from attempt_before) as attempt_before, set_config('synchronous_commit', 'off', true) as counters_only_commit;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_7388b5a44f232bbc"(integer, uuid, text, text, text, text, jsonb, timestamp with time zone, timestamp with time zone, jsonb, integer, uuid, text, timestamp with time zone, integer, text, text, jsonb, timestamp with time zone, timestamp with time zone, text, text, jsonb, text, jsonb, text, timestamp with time zone, timestamp with time zone, timestamp with time zone, timestamp with time zone, text, integer, text, integer, text, integer, text, integer) returns table("issued" boolean, "fresh" boolean, "userId" integer, "uuid" uuid, "proofFresh" boolean)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with account as (insert into "users" (id, uuid, username, name, email, type, path, attributes, last_login,
      created)
    select $1::int, $2::uuid, $3::text, $4::text, $5::text,
      'service_account', $6::text, $7::jsonb, $8::timestamptz, $9::timestamptz
    where true
    on conflict (username) do update set name = excluded.name, type = excluded.type, path = excluded.path,
      last_login = excluded.last_login, attributes = "users".attributes || $10::jsonb
      
    returning id, uuid), grant_row as (select $11::int as provider_id, id as user_id,
      $12::uuid as grant_id, $13::text as scope, $14::timestamptz as auth_time,
      null::uuid as session_id
    from account where id = $15::int), access as (insert into "access_tokens" (token_hash, jti, provider_id, user_id, grant_id, scope, auth_time, session_id,
      id_token, audience, created, expires, jkt)
    select $16::text, $17::text, provider_id, user_id, grant_id, scope, auth_time, session_id,
      $18::jsonb, null::jsonb, $19::timestamptz, $20::timestamptz,
      $21::text
    from grant_row returning id), event as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
    select $22::text, $23::jsonb, $24::text, $25::jsonb,
      $26::text, $27::timestamptz, $28::timestamptz from access), given_back as (insert into "login_attempts" (key, window_start, count, expires, expiring)
      select v.key, $29::timestamptz, greatest(v.delta, 0), $30::timestamptz, true
      from (values ($31::text, $32::int), ($33::text, $34::int)) as v(key, delta) order by v.key
      on conflict (key, window_start) do update
        set count = greatest("login_attempts"."count" + case excluded.key when $35::text then $36::int when $37::text then $38::int end, 0)
      returning key, count)
    select exists (select 1 from access) as issued, true as fresh, (select id from account) as "userId",
      (select uuid from account) as uuid, null::boolean as "proofFresh";
end
$kept$;
--> statement-breakpoint
create function "edge_kept_8de3333a4d24b7ce"(text, integer, integer, uuid, text, timestamp with time zone, uuid, text, text, text, text, timestamp with time zone, timestamp with time zone, text, jsonb, text, jsonb, text, timestamp with time zone, timestamp with time zone) returns table("issued" boolean)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with allowed as (select 1 as ok where true), code as (insert into "authorization_codes" (code_hash, provider_id, user_id, grant_id, scope,
        auth_time, session_id, redirect_uri, nonce, code_challenge, code_challenge_method, expires, created, resources)
      select $1::text, $2::int, $3::int, $4::uuid, $5::text,
        $6::timestamptz, $7::uuid, $8::text, $9::text, $10::text,
        $11::text, $12::timestamptz, $13::timestamptz, null::jsonb
      from allowed), event as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
    select $14::text, $15::jsonb, $16::text,
      $17::jsonb, $18::text, $19::timestamptz, $20::timestamptz
    from allowed) select exists (select 1 from allowed) as issued;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_934432fd44792566"(text, timestamp with time zone, integer, timestamp with time zone, boolean, text, timestamp with time zone, integer, timestamp with time zone, boolean, text, timestamp with time zone, integer, timestamp with time zone, boolean, text) returns table("attempts" json, "id" integer, "username" text, "is_active" boolean, "password_hash" text, "counters_only_commit" text)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with bumped as (insert into "login_attempts" ("key", "window_start", "count", "expires", "expiring") values ($1, $2, $3, $4, $5), ($6, $7, $8, $9, $10), ($11, $12, $13, $14, $15) on conflict ("key","window_start") do update set "count" = "login_attempts"."count" + 1 returning "key", "count")
    select (select json_object_agg(key, count) from bumped) as attempts, u.id, u.username, u.is_active,
      u.password_hash, set_config('synchronous_commit', 'off', true) as counters_only_commit
    from (select 1) as one left join "users" u on u.username = $16;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_b6d28db89cbddbc5"(text, text, timestamp with time zone, text, timestamp with time zone, text, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, integer, integer, integer, text, timestamp with time zone, timestamp with time zone, integer, text, text, timestamp with time zone, text, text, timestamp with time zone) returns table("provider" json, "application" json, "signing_key" json, "encryption_key" json, "scope_mappings" json, "grant" json, "attempt_pair" integer, "attempt_address" integer, "attempt_before" json, "counters_only_commit" text)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with provider as (select * from "oauth2_providers" where client_id = $1::text),
    attempt_before as (select coalesce((select l.count from "login_attempts" l
  where l.key = $2::text and l.window_start = $3::timestamptz), 0) as failed,
      coalesce((select l.count from "login_attempts" l
  where l.key = $4::text and l.window_start = $5::timestamptz), 0) as account,
      coalesce((select l.count from "login_attempts" l
  where l.key = $6::text and l.window_start = $7::timestamptz), 0) as address), attempt_pair as (insert into "login_attempts" (key, window_start, count, expires, expiring)
      select $8::text, $9::timestamptz, 1, $10::timestamptz, true from attempt_before where exists (select 1 from provider) and not (failed > 0 and account >= $11::int)
    and address < $12::int
      on conflict (key, window_start) do update set count = "login_attempts"."count" + 1
        where "login_attempts"."count" < $13::int
      returning count), attempt_address as (insert into "login_attempts" (key, window_start, count, expires, expiring)
      select $14::text, $15::timestamptz, 1, $16::timestamptz, true from attempt_before where exists (select 1 from attempt_pair) or not exists (select 1 from provider)
      on conflict (key, window_start) do update set count = "login_attempts"."count" + 1
        where "login_attempts"."count" < $17::int
      returning count)
    select (select row_to_json(provider) from provider) as provider,
  (select row_to_json(a) from "applications" a, provider where a.provider_id = provider.id) as application,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.signing_key_id) as signing_key,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.encryption_key_id) as encryption_key,
  (select coalesce(json_agg(row_to_json(m)), '[]'::json) from "scope_mappings" m
    join "oauth2_provider_scope_mappings" pm on pm.scope_mapping_id = m.id join provider on provider.id = pm.provider_id)
    as scope_mappings, (select coalesce((select json_build_object('kind', $18::text, 'id', "id",
      'grantId', "grant_id", 'providerId', "provider_id",
      'clientId', (select tp.client_id from "oauth2_providers" tp where tp.id = "provider_id"),
      'scope', "scope", 'revoked', "revoked", 'idToken', "id_token",
      'audience', "audience",
      'jkt', "jkt") from "access_tokens" where ("access_tokens"."token_hash" = $19 and (not "access_tokens"."expiring" or "access_tokens"."expires" > $20::timestamptz) and ("access_tokens"."provider_id" = provider.id or "access_tokens"."provider_id" in (select f.provider_id from "oauth2_provider_federation_providers" f
    where f.federated_provider_id = provider.id)))), (select json_build_object('kind', $21::text, 'id', "id",
      'grantId', "grant_id", 'providerId', "provider_id",
      'clientId', (select tp.client_id from "oauth2_providers" tp where tp.id = "provider_id"),
      'scope', "scope", 'revoked', "revoked", 'idToken', "id_token",
      'audience', null::jsonb,
      'jkt', "jkt") from "refresh_tokens" where ("refresh_tokens"."token_hash" = $22 and (not "refresh_tokens"."expiring" or "refresh_tokens"."expires" > $23::timestamptz) and ("refresh_tokens"."provider_id" = provider.id or "refresh_tokens"."provider_id" in (select f.provider_id from "oauth2_provider_federation_providers" f
    where f.federated_provider_id = provider.id))))) from provider) as "grant", (select count from attempt_pair) as attempt_pair,
  (select count from attempt_address) as attempt_address,
  (select row_to_json(attempt_before) from attempt_before) as attempt_before, set_config('synchronous_commit', 'off', true) as counters_only_commit;
end
$kept$;
