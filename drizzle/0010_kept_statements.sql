-- Written by `npm run db:kept` (scripts/kept-statements.ts): the kept statements of src/db/kept-statements.ts.
drop function if exists "edge_kept_187bb322489e0d93";
--> statement-breakpoint
drop function if exists "edge_kept_2aa68442e28a3a2c";
--> statement-breakpoint
drop function if exists "edge_kept_340c592cc10d3615";
--> statement-breakpoint
drop function if exists "edge_kept_3f186cd0f81589dc";
--> statement-breakpoint
drop function if exists "edge_kept_4b71338413b355d3";
--> statement-breakpoint
drop function if exists "edge_kept_51ca92513dff475c";
--> statement-breakpoint
drop function if exists "edge_kept_60e7aa7dca48a979";
--> statement-breakpoint
drop function if exists "edge_kept_6cf373490c229d15";
--> statement-breakpoint
drop function if exists "edge_kept_7388b5a44f232bbc";
--> statement-breakpoint
drop function if exists "edge_kept_8de3333a4d24b7ce";
--> statement-breakpoint
drop function if exists "edge_kept_934432fd44792566";
--> statement-breakpoint
drop function if exists "edge_kept_b6d28db89cbddbc5";
--> statement-breakpoint
create function "edge_kept_2844d0ec22403dd8"(text, text, timestamp with time zone, text, text, text, text, boolean, text, text, boolean, text, timestamp with time zone, uuid, text, text, text, text, text, timestamp with time zone, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, text, timestamp with time zone) returns table("provider" json, "application" json, "signing_key" json, "encryption_key" json, "scope_mappings" json, "session" json, "ok" boolean, "scope" text, "code_id" uuid, "event_id" uuid, "access" json)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with provider as (select * from "oauth2_providers" where client_id = $1::text), app as (select a.id, a.name, a.slug, a.group_id from applications a where a.provider_id = (select id from provider)), session as (select s.id, s.user_id, s.login_time, s.amr, s.session_key_hash,
        (select json_build_object(
      'id', u.id, 'uuid', u.uuid, 'username', u.username, 'name', u.name, 'email', u.email,
      'isActive', u.is_active, 'type', u.type, 'attributes', u.attributes,
      'groups', coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
        from group_memberships m join groups g on g.id = m.group_id where m.user_id = u.id), '[]'::json))
    from users u where u.id = s.user_id) as "user"
      from "authenticated_sessions" s where s.session_key_hash = $2::text
        and (not s.expiring or s.expires > $3::timestamptz)), granted as (select array_to_string(array(select x from unnest(array[$4, $5, $6, $7]::text[]) with ordinality as u(x, n)
    where x = any(coalesce((select array_agg(distinct m.scope_name) from "oauth2_provider_scope_mappings" pm
    join "scope_mappings" m on m.id = pm.scope_mapping_id where pm.provider_id = (select id from provider)), '{}') || array[]::text[]) order by n), ' ') as scope), ok as (select (select $8::boolean and p.id is not null and a.id is not null and se.id is not null
      and coalesce((se."user"->>'isActive')::boolean, false)
      and (a.group_id is null or exists (select 1 from "group_memberships" m
        where m.user_id = se.user_id and m.group_id = a.group_id))
      and p.grant_types @> jsonb_build_array($9::text) and exists (select 1 from jsonb_array_elements(p.redirect_uris) e
    where e->>'redirect_uri_type' = 'authorization' and (e->>'matching_mode' = 'regex' or e->>'url' = $10::text)) and p.client_type <> 'public' and true
      and true
      and ($11::boolean or 'openid' = any(string_to_array(g.scope, ' ')))
      and (p.authorization_flow = $12::text or exists (select 1 from "consents" c
        where c.user_id = se.user_id and c.application_id = a.id and (not c.expiring or c.expires > $13::timestamptz)
          and string_to_array(c.permissions, ' ') @> string_to_array(g.scope, ' ')))
    from (select 1) as one left join provider p on true left join app a on true left join session se on true
      left join granted g on true) as value), source as (select p.id as provider_id, se.user_id, $14::uuid as grant_id, g.scope,
      se.login_time as auth_time, se.id as session_id, null::jsonb as resources, $15::text as nonce, se.amr, se.session_key_hash as sid
    from provider p cross join session se cross join granted g where (select value from ok)), code as (insert into "authorization_codes" (code_hash, provider_id, user_id, grant_id, scope, auth_time,
          session_id, redirect_uri, nonce, code_challenge, code_challenge_method, expires, created, resources)
        select $16::text, provider_id, user_id, grant_id, scope, auth_time, session_id,
          $17::text, nonce, $18::text, $19::text,
          $20::timestamptz + (select access_code_validity_ms from provider) * interval '1 millisecond', $21::timestamptz,
          resources
        from source returning id), access as (select null::timestamptz as expires, null::jsonb as id_token where false), event as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
      select 'authorize_application', jsonb_build_object('pk', se.user_id, 'username', se."user"->>'username'),
        p.client_id, jsonb_build_object('authorized_application', jsonb_build_object('pk', a.id, 'name', a.name,
          'slug', a.slug), 'scopes', g.scope), $22::text, $23::timestamptz, $24::timestamptz + interval '365 days'
      from provider p cross join app a cross join session se cross join granted g where (select value from ok) returning id)
    select (select row_to_json(provider) from provider) as provider,
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
    from authenticated_sessions s where s.session_key_hash = $25
      and (not s.expiring or s.expires > $26::timestamptz)) as session, (select value from ok) as ok,
      (select scope from granted) as scope, (select id from code) as code_id, (select id from event) as event_id,
      (select row_to_json(access) from access) as access;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_39b316ffeb1abc3f"(text, timestamp with time zone) returns table("id" uuid, "revoked" boolean, "jkt" text, "audience" jsonb, "proofFresh" boolean, "scope" text, "facts" jsonb, "user" json, "userJoined" json, "provider" json, "application" json, "scopeMappings" json)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query 
    select "access_tokens"."id" as "id", "access_tokens"."revoked" as "revoked",
      "access_tokens"."jkt" as "jkt", "access_tokens"."audience" as "audience", null::boolean as "proofFresh",
      "access_tokens"."scope" as "scope", "access_tokens"."id_token" as "facts",
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
create function "edge_kept_59503f882b7671ed"(text, text, text, boolean, text, text, text, text, boolean, text, boolean, text, text, text, text, text, boolean, text, text, text, text, text, text, text, text, text, text, text, text, integer, integer, integer, timestamp with time zone, timestamp with time zone, text, jsonb, text, jsonb, text, timestamp with time zone, timestamp with time zone, integer, jsonb, timestamp with time zone, timestamp with time zone, jsonb, uuid, text, timestamp with time zone, text, bigint, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, text, text, timestamp with time zone, timestamp with time zone) returns table("provider" json, "application" json, "signing_key" json, "encryption_key" json, "scope_mappings" json, "outcome" text, "allowed" boolean, "access" json, "refresh" json, "user" json, "scope" text, "assertion_fresh" boolean, "proof_fresh" text)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with provider as (select * from "oauth2_providers" where client_id = $1::text), "presented_secret" as (select coalesce((select client_secret_hash = $2::text from provider), false) as matches), "app" as (select a.id, a.name, a.slug,
    a.group_id from "applications" a where a.provider_id = (select id from provider)), "existing" as (select u.id, u.is_active,
      coalesce((select array_agg(m.group_id) from "group_memberships" m where m.user_id = u.id), '{}') as group_ids
    from "users" u where u.username = (select 'ak-' || left(p.name, 128) || '-client_credentials' from provider p left join app a on true)), gate as materialized (select case when not coalesce(p.id is not null, false) then $3::text when not coalesce(not ($4::boolean and p.client_secret_hash is null), false) then $5::text when not coalesce(p.grant_types @> jsonb_build_array($6::text), false) then $7::text when not coalesce(p.client_type = 'confidential', false) then $8::text when not coalesce((not p.dpop_bound_access_tokens or $9::boolean), false) then $10::text when not coalesce((not p.dpop_require_nonce or $11::boolean), false) then $12::text when not coalesce(a.id is not null, false) then $13::text when not coalesce(cs.matches, false) then $14::text when not coalesce((not cs.matches or x.id is null or x.is_active), false) then $15::text when not coalesce((a.group_id is null or a.group_id = any(coalesce(x.group_ids, '{}'::uuid[]))), false) then $16::text when not coalesce(($17::boolean and (null::jsonb is null or p.allowed_resources @> null::jsonb)), false) then $18::text else 'ok' end as outcome
    from (select 1) as one left join provider p on true left join "presented_secret" "cs" on true left join "app" "a" on true left join "existing" "x" on true), attempt as materialized (select allowed, addresses from edge_attempt((select case when outcome in ($19::text, $20::text)
      then 'secret' when outcome in ($21::text, $22::text, $23::text, $24::text, $25::text) then 'address'
      else 'pass' end from gate), $26::text,
    $27::text, $28::text, $29::text, $30::int,
    $31::int, $32::int, $33::timestamptz, $34::timestamptz)), flagged as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
    select $35::text, $36::jsonb, $37::text,
      $38::jsonb, $39::text, $40::timestamptz, $41::timestamptz from attempt where addresses = $42::int), upserted as (insert into "users" (id, username, name, email, type, path, attributes, last_login,
        created)
      select coalesce(x.id, nextval(pg_get_serial_sequence('users', 'id'))::int), 'ak-' || left(p.name, 128) || '-client_credentials', (select 'Autogenerated user from application ' || a.name || ' (client credentials)' from app a),
        coalesce(null::text, ''), 'service_account', (select 'goauthentik.io/apps/' || a.slug from app a),
        '{}'::jsonb || $43::jsonb, $44::timestamptz, $45::timestamptz
      from provider p left join app a on true left join existing x on true
      where (((select outcome from gate) = 'ok' and (select allowed from attempt)) and true) and (select matches from presented_secret)
      on conflict (username) do update set name = excluded.name, type = excluded.type, path = excluded.path,
        last_login = excluded.last_login, attributes = "users".attributes || $46::jsonb
        
      returning id, uuid, username, name, email, is_active, type, attributes), account as (select id, json_build_object('id', id, 'uuid', uuid, 'username', username, 'name', name,
        'email', email, 'isActive', is_active, 'type', type, 'attributes', attributes,
        'groups', coalesce((select json_agg(json_build_object('id', gr.id, 'name', gr.name) order by gr.name)
          from "group_memberships" m join "groups" gr on gr.id = m.group_id where m.user_id = upserted.id), '[]'::json))
        as "user"
      from upserted where is_active), grant_source as (select (select id from provider) as provider_id, id as user_id,
      $47::uuid as grant_id, array_to_string(array(select s from unnest(array[$48::text]) with ordinality as u(s, n) where s in (select m.scope_name from "oauth2_provider_scope_mappings" pm
      join "scope_mappings" m on m.id = pm.scope_mapping_id where pm.provider_id = (select id from provider))
    order by n), ' ') as scope, $49::timestamptz as auth_time,
      null::uuid as session_id, null::jsonb as resources, null::text as nonce, null::jsonb as amr, null::text as sid
    from account), access as (insert into "access_tokens" (token_hash, provider_id, user_id, grant_id, scope, auth_time, session_id,
      id_token, audience, created, expires, jkt)
    select $50::text, s.provider_id, s.user_id, s.grant_id, s.scope, s.auth_time, s.session_id,
      jsonb_strip_nulls(jsonb_build_object('iat', $51::bigint,
    'exp', floor(extract(epoch from $52::timestamptz + (select "access_token_validity_ms" from provider) * interval '1 millisecond'))::bigint, 'auth_time', floor(extract(epoch from s.auth_time))::bigint, 'acr', $53::text,
    'amr', case when jsonb_array_length(coalesce(s.amr, '[]'::jsonb)) > 0 then s.amr end,
    'nonce', null::text, 'sid', s.sid)), null::jsonb, $54::timestamptz, $55::timestamptz + (select "access_token_validity_ms" from provider) * interval '1 millisecond', $56::text
    from "grant_source" s returning expires, id_token), refresh as (select null::timestamptz as expires, null::jsonb as id_token where false), login as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
    select 'login', jsonb_build_object('pk', account.id, 'username', account."user"->>'username'), p.client_id,
      jsonb_strip_nulls(jsonb_build_object('auth_method', case when (select matches from presented_secret) then 'oauth_client_secret' else 'token' end,
        'auth_method_args', null::jsonb)) || jsonb_build_object('application',
        jsonb_build_object('pk', a.id, 'name', a.name, 'slug', a.slug)),
      $57::text, $58::timestamptz, $59::timestamptz + interval '365 days'
    from account cross join provider p cross join app a where exists (select 1 from access)) select (select row_to_json(provider) from provider) as provider,
  (select row_to_json(a) from "applications" a, provider where a.provider_id = provider.id) as application,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.signing_key_id) as signing_key,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.encryption_key_id) as encryption_key,
  (select coalesce(json_agg(row_to_json(m)), '[]'::json) from "scope_mappings" m
    join "oauth2_provider_scope_mappings" pm on pm.scope_mapping_id = m.id join provider on provider.id = pm.provider_id)
    as scope_mappings, (select outcome from gate) as outcome, (select allowed from attempt) as allowed, (select row_to_json(access) from access) as access,
  (select row_to_json(refresh) from refresh) as refresh, (select "user" from account) as "user", (select scope from grant_source) as scope, true as assertion_fresh, null as proof_fresh;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_636b8e7eb1853924"(text, timestamp with time zone, integer, text, timestamp with time zone, integer, text, timestamp with time zone, text, timestamp with time zone, integer, text) returns table("limited" boolean, "id" integer, "username" text, "is_active" boolean, "password_hash" text)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query select
      (coalesce((select l.count from "login_attempts" l
    where l.key = $1::text and l.window_start = $2::timestamptz), 0) >= $3::int or coalesce((select l.count from "login_attempts" l
    where l.key = $4::text and l.window_start = $5::timestamptz), 0) >= $6::int
    or (coalesce((select l.count from "login_attempts" l
    where l.key = $7::text and l.window_start = $8::timestamptz), 0) > 0 and coalesce((select l.count from "login_attempts" l
    where l.key = $9::text and l.window_start = $10::timestamptz), 0) >= $11::int)) as limited, u.id, u.username, u.is_active,
      u.password_hash
    from (select 1) as one left join "users" u on u.username = $12;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_717e989074078a4f"(text, text, text, timestamp with time zone, text, text, boolean, text, text, text, boolean, text, boolean, text, text, text, text, text, text, boolean, text, text, text, text, text, text, text, text, text, text, text, text, text, integer, integer, integer, timestamp with time zone, timestamp with time zone, text, jsonb, text, jsonb, text, timestamp with time zone, timestamp with time zone, integer, uuid, text, timestamp with time zone, text, bigint, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, text, text, timestamp with time zone, timestamp with time zone) returns table("provider" json, "application" json, "signing_key" json, "encryption_key" json, "scope_mappings" json, "outcome" text, "allowed" boolean, "access" json, "refresh" json, "user" json, "scope" text, "assertion_fresh" boolean, "proof_fresh" text)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with provider as (select * from "oauth2_providers" where client_id = $1::text), "presented_secret" as (select coalesce((select client_secret_hash = $2::text from provider), false) as matches), "app" as (select a.id, a.name, a.slug,
    a.group_id from "applications" a where a.provider_id = (select id from provider)), "owner" as (select ow.id, ow.is_active,
      (select k.identifier from "app_tokens" k where k.user_id = ow.id and k.intent = 'app_password'
        and k.key_hash = $3::text and (not k.expiring or k.expires > $4::timestamptz) limit 1) as token_identifier
    from "users" ow where ow.username = $5::text), gate as materialized (select case when not coalesce(p.id is not null, false) then $6::text when not coalesce(not ($7::boolean and p.client_secret_hash is null), false) then $8::text when not coalesce(p.grant_types @> jsonb_build_array($9::text), false) then $10::text when not coalesce((not p.dpop_bound_access_tokens or $11::boolean), false) then $12::text when not coalesce((not p.dpop_require_nonce or $13::boolean), false) then $14::text when not coalesce(a.id is not null, false) then $15::text when not coalesce(o.id is not null, false) then $16::text when not coalesce(o.is_active, false) then $17::text when not coalesce(o.token_identifier is not null, false) then $18::text when not coalesce((a.group_id is null or a.group_id = any(array(select m.group_id from "group_memberships" m where m.user_id = o.id))), false) then $19::text when not coalesce(($20::boolean and (null::jsonb is null or p.allowed_resources @> null::jsonb)), false) then $21::text else 'ok' end as outcome
    from (select 1) as one left join provider p on true left join "presented_secret" "cs" on true left join "app" "a" on true left join "owner" "o" on true), attempt as materialized (select allowed, addresses from edge_attempt((select case when outcome in ($22::text, $23::text)
      then 'secret' when outcome in ($24::text, $25::text, $26::text, $27::text, $28::text, $29::text) then 'address'
      else 'pass' end from gate), $30::text,
    $31::text, $32::text, $33::text, $34::int,
    $35::int, $36::int, $37::timestamptz, $38::timestamptz)), flagged as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
    select $39::text, $40::jsonb, $41::text,
      $42::jsonb, $43::text, $44::timestamptz, $45::timestamptz from attempt where addresses = $46::int), account as (select eu.id, (select json_build_object(
      'id', u.id, 'uuid', u.uuid, 'username', u.username, 'name', u.name, 'email', u.email,
      'isActive', u.is_active, 'type', u.type, 'attributes', u.attributes,
      'groups', coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
        from group_memberships m join groups g on g.id = m.group_id where m.user_id = u.id), '[]'::json))
    from users u where u.id = eu.id) as "user" from "users" eu
      where eu.id = ((select id from owner)) and eu.is_active and (((select outcome from gate) = 'ok' and (select allowed from attempt)) and true) and true), grant_source as (select (select id from provider) as provider_id, id as user_id,
      $47::uuid as grant_id, array_to_string(array(select s from unnest(array[$48::text]) with ordinality as u(s, n) where s in (select m.scope_name from "oauth2_provider_scope_mappings" pm
      join "scope_mappings" m on m.id = pm.scope_mapping_id where pm.provider_id = (select id from provider))
    order by n), ' ') as scope, $49::timestamptz as auth_time,
      null::uuid as session_id, null::jsonb as resources, null::text as nonce, null::jsonb as amr, null::text as sid
    from account), access as (insert into "access_tokens" (token_hash, provider_id, user_id, grant_id, scope, auth_time, session_id,
      id_token, audience, created, expires, jkt)
    select $50::text, s.provider_id, s.user_id, s.grant_id, s.scope, s.auth_time, s.session_id,
      jsonb_strip_nulls(jsonb_build_object('iat', $51::bigint,
    'exp', floor(extract(epoch from $52::timestamptz + (select "access_token_validity_ms" from provider) * interval '1 millisecond'))::bigint, 'auth_time', floor(extract(epoch from s.auth_time))::bigint, 'acr', $53::text,
    'amr', case when jsonb_array_length(coalesce(s.amr, '[]'::jsonb)) > 0 then s.amr end,
    'nonce', null::text, 'sid', s.sid)), null::jsonb, $54::timestamptz, $55::timestamptz + (select "access_token_validity_ms" from provider) * interval '1 millisecond', $56::text
    from "grant_source" s returning expires, id_token), refresh as (select null::timestamptz as expires, null::jsonb as id_token where false), login as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
    select 'login', jsonb_build_object('pk', account.id, 'username', account."user"->>'username'), p.client_id,
      jsonb_strip_nulls(jsonb_build_object('auth_method', 'token',
        'auth_method_args', jsonb_build_object('identifier', (select token_identifier from owner)))) || jsonb_build_object('application',
        jsonb_build_object('pk', a.id, 'name', a.name, 'slug', a.slug)),
      $57::text, $58::timestamptz, $59::timestamptz + interval '365 days'
    from account cross join provider p cross join app a where exists (select 1 from access)) select (select row_to_json(provider) from provider) as provider,
  (select row_to_json(a) from "applications" a, provider where a.provider_id = provider.id) as application,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.signing_key_id) as signing_key,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.encryption_key_id) as encryption_key,
  (select coalesce(json_agg(row_to_json(m)), '[]'::json) from "scope_mappings" m
    join "oauth2_provider_scope_mappings" pm on pm.scope_mapping_id = m.id join provider on provider.id = pm.provider_id)
    as scope_mappings, (select outcome from gate) as outcome, (select allowed from attempt) as allowed, (select row_to_json(access) from access) as access,
  (select row_to_json(refresh) from refresh) as refresh, (select "user" from account) as "user", (select scope from grant_source) as scope, true as assertion_fresh, null as proof_fresh;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_92a71f443f8badb4"(text, text, timestamp with time zone, text, timestamp with time zone, text, text, text, text, text, boolean, text, boolean, text, boolean, text, text, text, text, text, text, boolean, text, text, text, text, text, text, text, text, text, text, text, integer, integer, integer, timestamp with time zone, timestamp with time zone, text, jsonb, text, jsonb, text, timestamp with time zone, timestamp with time zone, integer, timestamp with time zone, timestamp with time zone, uuid, text, bigint, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, text, uuid, text, bigint, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, text, uuid, timestamp with time zone, text, timestamp with time zone, timestamp with time zone) returns table("provider" json, "application" json, "signing_key" json, "encryption_key" json, "scope_mappings" json, "outcome" text, "allowed" boolean, "access" json, "refresh" json, "mode" text, "user" json, "scope" text, "grant_id" uuid, "audience" jsonb, "proof_fresh" text)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with provider as (select * from "oauth2_providers" where client_id = $1::text), "presented_secret" as (select coalesce((select client_secret_hash = $2::text from provider), false) as matches), "token" as (select "refresh_tokens"."id" as id, "refresh_tokens"."grant_id" as grant_id, "refresh_tokens"."scope" as scope,
      "refresh_tokens"."expires" as expires, "refresh_tokens"."revoked" as revoked, "refresh_tokens"."jkt" as jkt, "refresh_tokens"."id_token" as facts,
      "refresh_tokens"."resources" as resources, "refresh_tokens"."rotated" as rotated, "refresh_tokens"."successor_id" as successor_id,
      (select json_build_object(
      'id', u.id, 'uuid', u.uuid, 'username', u.username, 'name', u.name, 'email', u.email,
      'isActive', u.is_active, 'type', u.type, 'attributes', u.attributes,
      'groups', coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
        from group_memberships m join groups g on g.id = m.group_id where m.user_id = u.id), '[]'::json))
    from users u where u.id = "refresh_tokens"."user_id") as "user",
      "refresh_tokens"."rotated" is not null and $3::timestamptz - "refresh_tokens"."rotated" < (select refresh_token_reuse_interval_ms from provider)
        * interval '1 millisecond' and exists (select 1 from "refresh_tokens" s where s.id = "refresh_tokens"."successor_id"
          and s.provider_id = "refresh_tokens"."provider_id" and s.grant_id = "refresh_tokens"."grant_id" and not s.revoked and s.rotated is null
          and not exists (select 1 from "access_tokens" a where a.grant_id = s.grant_id
            and a.provider_id = s.provider_id and a.created > s.created)) as retry
    from "refresh_tokens" where "refresh_tokens"."token_hash" = $4::text and "refresh_tokens"."provider_id" = (select id from provider)
      and (not "refresh_tokens"."expiring" or "refresh_tokens"."expires" > $5::timestamptz) limit 1), gate as materialized (select case when not coalesce(p.id is not null, false) then $6::text when not coalesce(not (p.client_type = 'confidential' and p.client_secret_hash is null), false) then $7::text when not coalesce((not p.client_type = 'confidential' or cs.matches), false) then $8::text when not coalesce(p.grant_types @> jsonb_build_array($9::text), false) then $10::text when not coalesce((not p.dpop_bound_access_tokens or $11::boolean), false) then $12::text when not coalesce((not p.dpop_require_nonce or $13::boolean), false) then $14::text when not coalesce(($15::boolean and r.id is not null), false) then $16::text when not coalesce((not r.revoked or r.retry), false) then $17::text when not coalesce((r.jkt is null or r.jkt = $18::text), false) then $19::text when not coalesce((select e <@ g and 'offline_access' = any(e) from (select case when cardinality(k) > 0 then k else g end
      as e, g from (select array(select a from unnest(array[]::text[]) a where a = any(array(select m.scope_name from "oauth2_provider_scope_mappings" pm
    join "scope_mappings" m on m.id = pm.scope_mapping_id where pm.provider_id = p.id))) as k,
        string_to_array(r.scope, ' ') as g) x) y), false) then $20::text when not coalesce(coalesce((r."user"->>'isActive')::boolean, false), false) then $21::text when not coalesce(($22::boolean and (null::jsonb is null or p.allowed_resources @> null::jsonb) and case
    when not coalesce(jsonb_array_length(r.resources), 0) > 0 then null::jsonb is null
    when null::jsonb is null then exists (select 1 from jsonb_array_elements_text(r.resources) r
    where p.allowed_resources @> jsonb_build_array(r))
    else r.resources @> null::jsonb end), false) then $23::text else 'ok' end as outcome
    from (select 1) as one left join provider p on true left join "presented_secret" "cs" on true left join "token" "r" on true), attempt as materialized (select allowed, addresses from edge_attempt((select case when outcome in ($24::text)
      then 'secret' when outcome in ($25::text, $26::text, $27::text, $28::text, $29::text) then 'address'
      else 'pass' end from gate), $30::text,
    $31::text, $32::text, $33::text, $34::int,
    $35::int, $36::int, $37::timestamptz, $38::timestamptz)), flagged as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
    select $39::text, $40::jsonb, $41::text,
      $42::jsonb, $43::text, $44::timestamptz, $45::timestamptz from attempt where addresses = $46::int), mode as (select case when r.revoked then 'retry' when p.refresh_token_threshold_ms = 0
        or r.expires - $47::timestamptz < p.refresh_token_threshold_ms * interval '1 millisecond' then 'rotate'
        else 'keep' end as value from token r cross join provider p), audience as (select coalesce(null::jsonb, (select jsonb_agg(r order by n) from jsonb_array_elements_text(r.resources)
    with ordinality as e(r, n) where p.allowed_resources @> jsonb_build_array(r))) as value
      from provider p cross join token r), superseded as (update "refresh_tokens" set revoked = true
      where "refresh_tokens"."id" = (select successor_id from token) and not "refresh_tokens"."revoked" and "refresh_tokens"."rotated" is null
        and (select value from mode) = 'retry' and (((select outcome from gate) = 'ok' and (select allowed from attempt)) and true)
      returning provider_id, user_id, grant_id, scope, auth_time, session_id, resources,
  (select facts -> 'amr' from token) as amr, (select facts ->> 'nonce' from token) as nonce,
  (select s.session_key_hash from "authenticated_sessions" s where s.id = session_id) as sid, created), rotated as (update "refresh_tokens" set revoked = true, rotated = $48::timestamptz, successor_id = $49::uuid
      where "refresh_tokens"."id" = (select id from token) and not "refresh_tokens"."revoked" and (select value from mode) = 'rotate' and (((select outcome from gate) = 'ok' and (select allowed from attempt)) and true)
      returning provider_id, user_id, grant_id, scope, auth_time, session_id, resources,
  (select facts -> 'amr' from token) as amr, (select facts ->> 'nonce' from token) as nonce,
  (select s.session_key_hash from "authenticated_sessions" s where s.id = session_id) as sid), kept as (select provider_id, user_id, grant_id, scope, auth_time, session_id, resources,
  (select facts -> 'amr' from token) as amr, (select facts ->> 'nonce' from token) as nonce,
  (select s.session_key_hash from "authenticated_sessions" s where s.id = session_id) as sid from "refresh_tokens"
      where "refresh_tokens"."id" = (select id from token) and not "refresh_tokens"."revoked" and (select value from mode) = 'keep' and (((select outcome from gate) = 'ok' and (select allowed from attempt)) and true)), source as (select provider_id, user_id, grant_id, scope, auth_time, session_id, resources, amr, nonce, sid
      from superseded union all select * from rotated union all select * from kept), access as (insert into "access_tokens" (token_hash, provider_id, user_id, grant_id, scope, auth_time, session_id,
      id_token, audience, created, expires, jkt)
    select $50::text, s.provider_id, s.user_id, s.grant_id, s.scope, s.auth_time, s.session_id,
      jsonb_strip_nulls(jsonb_build_object('iat', $51::bigint,
    'exp', floor(extract(epoch from $52::timestamptz + (select "access_token_validity_ms" from provider) * interval '1 millisecond'))::bigint, 'auth_time', floor(extract(epoch from s.auth_time))::bigint, 'acr', $53::text,
    'amr', case when jsonb_array_length(coalesce(s.amr, '[]'::jsonb)) > 0 then s.amr end,
    'nonce', null::text, 'sid', s.sid)), (select value from audience), $54::timestamptz, $55::timestamptz + (select "access_token_validity_ms" from provider) * interval '1 millisecond', $56::text
    from "source" s returning expires, id_token), refresh_source as (select * from source where (select value from mode) <> 'keep'), refresh as (insert into "refresh_tokens" (id, token_hash, provider_id, user_id, grant_id, scope, auth_time,
      session_id, resources, id_token, created, expires, jkt)
    select $57::uuid, $58::text, s.provider_id, s.user_id, s.grant_id, s.scope, s.auth_time, s.session_id,
      s.resources, jsonb_strip_nulls(jsonb_build_object('iat', $59::bigint,
    'exp', floor(extract(epoch from $60::timestamptz + (select "refresh_token_validity_ms" from provider) * interval '1 millisecond'))::bigint, 'auth_time', floor(extract(epoch from s.auth_time))::bigint, 'acr', $61::text,
    'amr', case when jsonb_array_length(coalesce(s.amr, '[]'::jsonb)) > 0 then s.amr end,
    'nonce', s.nonce, 'sid', s.sid)), $62::timestamptz, $63::timestamptz + (select "refresh_token_validity_ms" from provider) * interval '1 millisecond', case when (select client_type from provider) = 'public' then $64::text end
    from "refresh_source" s returning expires, id_token), relinked as (update "refresh_tokens" set successor_id = $65::uuid
      where "refresh_tokens"."id" = (select id from token) and exists (select 1 from superseded)), gone as (delete from "access_tokens" a using superseded s
      where a.grant_id = s.grant_id and a.provider_id = s.provider_id and a.created >= s.created), retried as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
      select 'token_refresh', jsonb_build_object('pk', (r."user"->>'id')::int, 'username', r."user"->>'username'),
        p.client_id, jsonb_build_object('message', 'Rotated refresh token retried within the reuse interval',
          'refresh_token_retry', true, 'provider', jsonb_build_object('pk', p.id, 'name', p.name),
          'grant_id', r.grant_id, 'seconds_since_rotation', extract(epoch from $66::timestamptz - r.rotated)),
        $67::text, $68::timestamptz, $69::timestamptz + interval '365 days'
      from token r cross join provider p where exists (select 1 from superseded)) select (select row_to_json(provider) from provider) as provider,
  (select row_to_json(a) from "applications" a, provider where a.provider_id = provider.id) as application,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.signing_key_id) as signing_key,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.encryption_key_id) as encryption_key,
  (select coalesce(json_agg(row_to_json(m)), '[]'::json) from "scope_mappings" m
    join "oauth2_provider_scope_mappings" pm on pm.scope_mapping_id = m.id join provider on provider.id = pm.provider_id)
    as scope_mappings, (select outcome from gate) as outcome, (select allowed from attempt) as allowed, (select row_to_json(access) from access) as access,
  (select row_to_json(refresh) from refresh) as refresh, (select value from mode) as mode, (select "user" from token) as "user", (select scope from token) as scope, (select grant_id from token) as grant_id, (select value from audience) as audience, null as proof_fresh;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_ac623883dc8deb65"(text, text, text, text, timestamp with time zone, text, text, timestamp with time zone, text, text, text, boolean, text, text, text, text, text, text, text, integer, integer, integer, timestamp with time zone, timestamp with time zone, text, jsonb, text, jsonb, text, timestamp with time zone, timestamp with time zone, integer) returns table("provider" json, "application" json, "signing_key" json, "encryption_key" json, "scope_mappings" json, "outcome" text, "allowed" boolean, "token" json)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with provider as (select * from "oauth2_providers" where client_id = $1::text), "presented_secret" as (select coalesce((select client_secret_hash = $2::text from provider), false) as matches), "presented" as (select coalesce((select json_build_object('kind', $3::text, 'id', ta.id, 'grantId', ta.grant_id,
      'providerId', ta.provider_id,
      'clientId', (select tp.client_id from "oauth2_providers" tp where tp.id = ta.provider_id),
      'scope', ta.scope, 'revoked', ta.revoked, 'facts', ta.id_token,
      'audience', ta.audience, 'jkt', ta.jkt
      , 'user', (select json_build_object(
      'id', u.id, 'uuid', u.uuid, 'username', u.username, 'name', u.name, 'email', u.email,
      'isActive', u.is_active, 'type', u.type, 'attributes', u.attributes,
      'groups', coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
        from group_memberships m join groups g on g.id = m.group_id where m.user_id = u.id), '[]'::json))
    from users u where u.id = ta.user_id), 'bundle', (select json_build_object('provider', row_to_json(bp),
      'application', (select row_to_json(a) from "applications" a where a.provider_id = bp.id),
      'signing_key', (select row_to_json(k) from "key_pairs" k where k.id = bp.signing_key_id),
      'encryption_key', (select row_to_json(k) from "key_pairs" k where k.id = bp.encryption_key_id),
      'scope_mappings', (select coalesce(json_agg(row_to_json(m)), '[]'::json) from "scope_mappings" m
        join "oauth2_provider_scope_mappings" pm on pm.scope_mapping_id = m.id where pm.provider_id = bp.id))
    from "oauth2_providers" bp where bp.id = ta.provider_id))
    from "access_tokens" ta
    where ta.token_hash = $4::text and (not ta.expiring or ta.expires > $5::timestamptz)
      and (ta.provider_id = (select id from provider) or ta.provider_id in (select f.provider_id
        from "oauth2_provider_federation_providers" f where f.federated_provider_id = (select id from provider)))), (select json_build_object('kind', $6::text, 'id', tr.id, 'grantId', tr.grant_id,
      'providerId', tr.provider_id,
      'clientId', (select tp.client_id from "oauth2_providers" tp where tp.id = tr.provider_id),
      'scope', tr.scope, 'revoked', tr.revoked, 'facts', tr.id_token,
      'audience', null::jsonb, 'jkt', tr.jkt
      , 'user', (select json_build_object(
      'id', u.id, 'uuid', u.uuid, 'username', u.username, 'name', u.name, 'email', u.email,
      'isActive', u.is_active, 'type', u.type, 'attributes', u.attributes,
      'groups', coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
        from group_memberships m join groups g on g.id = m.group_id where m.user_id = u.id), '[]'::json))
    from users u where u.id = tr.user_id), 'bundle', (select json_build_object('provider', row_to_json(bp),
      'application', (select row_to_json(a) from "applications" a where a.provider_id = bp.id),
      'signing_key', (select row_to_json(k) from "key_pairs" k where k.id = bp.signing_key_id),
      'encryption_key', (select row_to_json(k) from "key_pairs" k where k.id = bp.encryption_key_id),
      'scope_mappings', (select coalesce(json_agg(row_to_json(m)), '[]'::json) from "scope_mappings" m
        join "oauth2_provider_scope_mappings" pm on pm.scope_mapping_id = m.id where pm.provider_id = bp.id))
    from "oauth2_providers" bp where bp.id = tr.provider_id))
    from "refresh_tokens" tr
    where tr.token_hash = $7::text and (not tr.expiring or tr.expires > $8::timestamptz)
      and (tr.provider_id = (select id from provider) or tr.provider_id in (select f.provider_id
        from "oauth2_provider_federation_providers" f where f.federated_provider_id = (select id from provider))))) as token), gate as materialized (select case when not coalesce(p.id is not null, false) then $9::text when not coalesce(not (p.client_type = 'confidential' and p.client_secret_hash is null), false) then $10::text when not coalesce((not p.client_type = 'confidential' or cs.matches), false) then $11::text when not coalesce($12::boolean, false) then $13::text else 'ok' end as outcome
    from (select 1) as one left join provider p on true left join "presented_secret" "cs" on true left join "presented" "pt" on true), attempt as materialized (select allowed, addresses from edge_attempt((select case when outcome in ($14::text)
      then 'secret' when outcome in ($15::text) then 'address'
      else 'pass' end from gate), $16::text,
    $17::text, $18::text, $19::text, $20::int,
    $21::int, $22::int, $23::timestamptz, $24::timestamptz)), flagged as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
    select $25::text, $26::jsonb, $27::text,
      $28::jsonb, $29::text, $30::timestamptz, $31::timestamptz from attempt where addresses = $32::int) select (select row_to_json(provider) from provider) as provider,
  (select row_to_json(a) from "applications" a, provider where a.provider_id = provider.id) as application,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.signing_key_id) as signing_key,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.encryption_key_id) as encryption_key,
  (select coalesce(json_agg(row_to_json(m)), '[]'::json) from "scope_mappings" m
    join "oauth2_provider_scope_mappings" pm on pm.scope_mapping_id = m.id join provider on provider.id = pm.provider_id)
    as scope_mappings, (select outcome from gate) as outcome, (select allowed from attempt) as allowed, (select token from presented) as token;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_b5a8a773252f2837"(text, text, text, text, integer, integer, integer, timestamp with time zone, timestamp with time zone, text, jsonb, text, jsonb, text, timestamp with time zone, timestamp with time zone, integer, text, integer, timestamp with time zone, timestamp with time zone, timestamp with time zone, timestamp with time zone, text, integer, timestamp with time zone, jsonb, text, text, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, integer, text, jsonb, text, jsonb, text, timestamp with time zone, timestamp with time zone) returns table("id" uuid, "notifications" json)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with
    attempt as materialized (select allowed, addresses from edge_attempt('pass', $1::text,
    $2::text, $3::text, $4::text, $5::int,
    $6::int, $7::int, $8::timestamptz, $9::timestamptz)), flagged as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
    select $10::text, $11::jsonb, $12::text,
      $13::jsonb, $14::text, $15::timestamptz, $16::timestamptz from attempt where addresses = $17::int), ended as (
      delete from "authenticated_sessions" where "authenticated_sessions"."session_key_hash" = $18 and "authenticated_sessions"."user_id" <> $19
        and (not "authenticated_sessions"."expiring" or "authenticated_sessions"."expires" > $20::timestamptz) and (select allowed from attempt)
      returning id, user_id, session_key_hash, origin)
    , queued as (
    insert into logout_notifications (provider_id, user_id, sid, origin, next_attempt, created, expires)
    select p.id, s.user_id, s.session_key_hash, s.origin, $21::timestamptz, $22::timestamptz, $23::timestamptz
    from ended s join oauth2_providers p on p.logout_method = 'backchannel' and p.logout_uri <> ''
    where exists (select 1 from access_tokens a where a.session_id = s.id and a.provider_id = p.id)
       or exists (select 1 from refresh_tokens r where r.session_id = s.id and r.provider_id = p.id)
    returning id)
    , created as (insert into "authenticated_sessions" (session_key_hash, user_id, login_time, amr, last_ip, last_user_agent, expires,
        origin, created)
      select $24::text, $25::int, $26::timestamptz,
        $27::jsonb, $28::text, $29::text,
        $30::timestamptz, $31::text, $32::timestamptz
      where (select allowed from attempt) returning id)
    , touched as (update "users" set last_login = $33::timestamptz where id = $34::int and (select allowed from attempt)),
    signed_in as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
    select $35::text, $36::jsonb, $37::text,
      $38::jsonb, $39::text, $40::timestamptz, $41::timestamptz where (select allowed from attempt))
    select (select id from created) as id, coalesce((select json_agg(id) from queued), '[]'::json) as notifications;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_c05287de71f90a20"(text, text, text, timestamp with time zone, text, text, text, text, text, boolean, text, boolean, text, boolean, text, text, text, text, text, text, boolean, text, text, text, text, boolean, text, text, text, text, text, text, text, text, text, text, text, text, text, integer, integer, integer, timestamp with time zone, timestamp with time zone, text, jsonb, text, jsonb, text, timestamp with time zone, timestamp with time zone, integer, timestamp with time zone, timestamp with time zone, text, bigint, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, text, uuid, text, bigint, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, text) returns table("provider" json, "application" json, "signing_key" json, "encryption_key" json, "scope_mappings" json, "outcome" text, "allowed" boolean, "access" json, "refresh" json, "user" json, "scope" text, "grant_id" uuid, "audience" jsonb, "proof_fresh" text)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with provider as (select * from "oauth2_providers" where client_id = $1::text), "presented_secret" as (select coalesce((select client_secret_hash = $2::text from provider), false) as matches), "code" as (select "authorization_codes"."id" as id, "authorization_codes"."grant_id" as grant_id, "authorization_codes"."scope" as scope,
      "authorization_codes"."redirect_uri" as redirect_uri, "authorization_codes"."code_challenge" as code_challenge,
      "authorization_codes"."code_challenge_method" as code_challenge_method, "authorization_codes"."consumed" as consumed, "authorization_codes"."resources" as resources,
      (select json_build_object(
      'id', u.id, 'uuid', u.uuid, 'username', u.username, 'name', u.name, 'email', u.email,
      'isActive', u.is_active, 'type', u.type, 'attributes', u.attributes,
      'groups', coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
        from group_memberships m join groups g on g.id = m.group_id where m.user_id = u.id), '[]'::json))
    from users u where u.id = "authorization_codes"."user_id") as "user"
    from "authorization_codes" where "authorization_codes"."code_hash" = $3::text and "authorization_codes"."provider_id" = (select id from provider)
      and (not "authorization_codes"."expiring" or "authorization_codes"."expires" > $4::timestamptz) limit 1), gate as materialized (select case when not coalesce(p.id is not null, false) then $5::text when not coalesce(not (p.client_type = 'confidential' and p.client_secret_hash is null), false) then $6::text when not coalesce((not p.client_type = 'confidential' or cs.matches), false) then $7::text when not coalesce(p.grant_types @> jsonb_build_array($8::text), false) then $9::text when not coalesce((not p.dpop_bound_access_tokens or $10::boolean), false) then $11::text when not coalesce((not p.dpop_require_nonce or $12::boolean), false) then $13::text when not coalesce($14::boolean, false) then $15::text when not coalesce(c.id is not null, false) then $16::text when not coalesce(c.consumed is null, false) then $17::text when not coalesce(c.redirect_uri = $18::text, false) then $19::text when not coalesce(case when c.code_challenge is null then $20::text is null and p.client_type <> 'public'
      else $21::boolean and case c.code_challenge_method
        when 'S256' then c.code_challenge = $22::text else c.code_challenge = $23::text end end, false) then $24::text when not coalesce(coalesce((c."user"->>'isActive')::boolean, false), false) then $25::text when not coalesce(($26::boolean and (null::jsonb is null or p.allowed_resources @> null::jsonb) and case
    when not coalesce(jsonb_array_length(c.resources), 0) > 0 then null::jsonb is null
    when null::jsonb is null then exists (select 1 from jsonb_array_elements_text(c.resources) r
    where p.allowed_resources @> jsonb_build_array(r))
    else c.resources @> null::jsonb end), false) then $27::text else 'ok' end as outcome
    from (select 1) as one left join provider p on true left join "presented_secret" "cs" on true left join "code" "c" on true), attempt as materialized (select allowed, addresses from edge_attempt((select case when outcome in ($28::text)
      then 'secret' when outcome in ($29::text, $30::text, $31::text, $32::text, $33::text, $34::text, $35::text) then 'address'
      else 'pass' end from gate), $36::text,
    $37::text, $38::text, $39::text, $40::int,
    $41::int, $42::int, $43::timestamptz, $44::timestamptz)), flagged as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
    select $45::text, $46::jsonb, $47::text,
      $48::jsonb, $49::text, $50::timestamptz, $51::timestamptz from attempt where addresses = $52::int), audience as (select coalesce(null::jsonb, (select jsonb_agg(r order by n) from jsonb_array_elements_text(c.resources)
    with ordinality as e(r, n) where p.allowed_resources @> jsonb_build_array(r))) as value
      from provider p cross join code c), consumed as (update "authorization_codes" set consumed = $53::timestamptz
      where "authorization_codes"."id" = (select id from code) and "authorization_codes"."consumed" is null and (not "authorization_codes"."expiring" or "authorization_codes"."expires" > $54::timestamptz) and (((select outcome from gate) = 'ok' and (select allowed from attempt)) and true)
      returning provider_id, user_id, grant_id, scope, auth_time, session_id, resources, nonce,
        (select s.amr from "authenticated_sessions" s where s.id = session_id) as amr,
        (select s.session_key_hash from "authenticated_sessions" s where s.id = session_id) as sid), access as (insert into "access_tokens" (token_hash, provider_id, user_id, grant_id, scope, auth_time, session_id,
      id_token, audience, created, expires, jkt)
    select $55::text, s.provider_id, s.user_id, s.grant_id, s.scope, s.auth_time, s.session_id,
      jsonb_strip_nulls(jsonb_build_object('iat', $56::bigint,
    'exp', floor(extract(epoch from $57::timestamptz + (select "access_token_validity_ms" from provider) * interval '1 millisecond'))::bigint, 'auth_time', floor(extract(epoch from s.auth_time))::bigint, 'acr', $58::text,
    'amr', case when jsonb_array_length(coalesce(s.amr, '[]'::jsonb)) > 0 then s.amr end,
    'nonce', s.nonce, 'sid', s.sid)), (select value from audience), $59::timestamptz, $60::timestamptz + (select "access_token_validity_ms" from provider) * interval '1 millisecond', $61::text
    from "consumed" s returning expires, id_token), refresh_source as (select * from consumed where 'offline_access' = any(string_to_array(scope, ' '))), refresh as (insert into "refresh_tokens" (id, token_hash, provider_id, user_id, grant_id, scope, auth_time,
      session_id, resources, id_token, created, expires, jkt)
    select $62::uuid, $63::text, s.provider_id, s.user_id, s.grant_id, s.scope, s.auth_time, s.session_id,
      s.resources, jsonb_strip_nulls(jsonb_build_object('iat', $64::bigint,
    'exp', floor(extract(epoch from $65::timestamptz + (select "refresh_token_validity_ms" from provider) * interval '1 millisecond'))::bigint, 'auth_time', floor(extract(epoch from s.auth_time))::bigint, 'acr', $66::text,
    'amr', case when jsonb_array_length(coalesce(s.amr, '[]'::jsonb)) > 0 then s.amr end,
    'nonce', s.nonce, 'sid', s.sid)), $67::timestamptz, $68::timestamptz + (select "refresh_token_validity_ms" from provider) * interval '1 millisecond', case when (select client_type from provider) = 'public' then $69::text end
    from "refresh_source" s returning expires, id_token) select (select row_to_json(provider) from provider) as provider,
  (select row_to_json(a) from "applications" a, provider where a.provider_id = provider.id) as application,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.signing_key_id) as signing_key,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.encryption_key_id) as encryption_key,
  (select coalesce(json_agg(row_to_json(m)), '[]'::json) from "scope_mappings" m
    join "oauth2_provider_scope_mappings" pm on pm.scope_mapping_id = m.id join provider on provider.id = pm.provider_id)
    as scope_mappings, (select outcome from gate) as outcome, (select allowed from attempt) as allowed, (select row_to_json(access) from access) as access,
  (select row_to_json(refresh) from refresh) as refresh, (select "user" from code) as "user", (select scope from code) as scope, (select grant_id from code) as grant_id, (select value from audience) as audience, null as proof_fresh;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_c67b6ea7f70af7cb"(text, text, text, text, timestamp with time zone, text, text, timestamp with time zone, text, text, text, boolean, text, text, text, text, text, text, text, integer, integer, integer, timestamp with time zone, timestamp with time zone, text, jsonb, text, jsonb, text, timestamp with time zone, timestamp with time zone, integer) returns table("provider" json, "application" json, "signing_key" json, "encryption_key" json, "scope_mappings" json, "outcome" text, "allowed" boolean, "token" json)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with provider as (select * from "oauth2_providers" where client_id = $1::text), "presented_secret" as (select coalesce((select client_secret_hash = $2::text from provider), false) as matches), "presented" as (select coalesce((select json_build_object('kind', $3::text, 'id', ta.id, 'grantId', ta.grant_id,
      'providerId', ta.provider_id,
      'clientId', (select tp.client_id from "oauth2_providers" tp where tp.id = ta.provider_id),
      'scope', ta.scope, 'revoked', ta.revoked, 'facts', ta.id_token,
      'audience', ta.audience, 'jkt', ta.jkt
      )
    from "access_tokens" ta
    where ta.token_hash = $4::text and (not ta.expiring or ta.expires > $5::timestamptz)
      and (ta.provider_id = (select id from provider) or ta.provider_id in (select f.provider_id
        from "oauth2_provider_federation_providers" f where f.federated_provider_id = (select id from provider)))), (select json_build_object('kind', $6::text, 'id', tr.id, 'grantId', tr.grant_id,
      'providerId', tr.provider_id,
      'clientId', (select tp.client_id from "oauth2_providers" tp where tp.id = tr.provider_id),
      'scope', tr.scope, 'revoked', tr.revoked, 'facts', tr.id_token,
      'audience', null::jsonb, 'jkt', tr.jkt
      )
    from "refresh_tokens" tr
    where tr.token_hash = $7::text and (not tr.expiring or tr.expires > $8::timestamptz)
      and (tr.provider_id = (select id from provider) or tr.provider_id in (select f.provider_id
        from "oauth2_provider_federation_providers" f where f.federated_provider_id = (select id from provider))))) as token), gate as materialized (select case when not coalesce(p.id is not null, false) then $9::text when not coalesce(not (p.client_type = 'confidential' and p.client_secret_hash is null), false) then $10::text when not coalesce((not p.client_type = 'confidential' or cs.matches), false) then $11::text when not coalesce($12::boolean, false) then $13::text else 'ok' end as outcome
    from (select 1) as one left join provider p on true left join "presented_secret" "cs" on true left join "presented" "pt" on true), attempt as materialized (select allowed, addresses from edge_attempt((select case when outcome in ($14::text)
      then 'secret' when outcome in ($15::text) then 'address'
      else 'pass' end from gate), $16::text,
    $17::text, $18::text, $19::text, $20::int,
    $21::int, $22::int, $23::timestamptz, $24::timestamptz)), flagged as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
    select $25::text, $26::jsonb, $27::text,
      $28::jsonb, $29::text, $30::timestamptz, $31::timestamptz from attempt where addresses = $32::int), gone_access as (delete from "access_tokens" where id = ((select token from presented) ->> 'id')::uuid
      and (select token from presented) ->> 'kind' = 'access_token' and (((select outcome from gate) = 'ok' and (select allowed from attempt)) and (((select token from presented) ->> 'providerId')::int
        = (select id from provider) or (select client_type from provider) = 'confidential'))), gone_refresh as (delete from "refresh_tokens" where id = ((select token from presented) ->> 'id')::uuid
      and (select token from presented) ->> 'kind' = 'refresh_token' and (((select outcome from gate) = 'ok' and (select allowed from attempt)) and (((select token from presented) ->> 'providerId')::int
        = (select id from provider) or (select client_type from provider) = 'confidential')) returning provider_id, grant_id), gone_family as (delete from "access_tokens" a using gone_refresh g
      where a.provider_id = g.provider_id and a.grant_id = g.grant_id) select (select row_to_json(provider) from provider) as provider,
  (select row_to_json(a) from "applications" a, provider where a.provider_id = provider.id) as application,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.signing_key_id) as signing_key,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.encryption_key_id) as encryption_key,
  (select coalesce(json_agg(row_to_json(m)), '[]'::json) from "scope_mappings" m
    join "oauth2_provider_scope_mappings" pm on pm.scope_mapping_id = m.id join provider on provider.id = pm.provider_id)
    as scope_mappings, (select outcome from gate) as outcome, (select allowed from attempt) as allowed, (select token from presented) as token;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_f12b6e1361ca7124"(text, text, timestamp with time zone, text, text, text, text, text, text, boolean, text, boolean, text, boolean, text, text, text, text, text, boolean, text, text, text, text, text, text, text, text, text, integer, integer, integer, timestamp with time zone, timestamp with time zone, text, jsonb, text, jsonb, text, timestamp with time zone, timestamp with time zone, integer, timestamp with time zone, timestamp with time zone, timestamp with time zone, text, bigint, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, text, uuid, text, bigint, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, text) returns table("provider" json, "application" json, "signing_key" json, "encryption_key" json, "scope_mappings" json, "outcome" text, "allowed" boolean, "access" json, "refresh" json, "user" json, "scope" text, "early" boolean, "proof_fresh" text)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with provider as (select * from "oauth2_providers" where client_id = $1::text), "presented_secret" as (select coalesce((select client_secret_hash = $2::text from provider), false) as matches), "device" as (select "device_tokens"."id" as id, "device_tokens"."status" as status, "device_tokens"."scope" as scope,
      not (not "device_tokens"."expiring" or "device_tokens"."expires" > $3::timestamptz) as expired, "device_tokens"."auth_time" as auth_time, (select json_build_object(
      'id', u.id, 'uuid', u.uuid, 'username', u.username, 'name', u.name, 'email', u.email,
      'isActive', u.is_active, 'type', u.type, 'attributes', u.attributes,
      'groups', coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
        from group_memberships m join groups g on g.id = m.group_id where m.user_id = u.id), '[]'::json))
    from users u where u.id = "device_tokens"."user_id") as "user"
    from "device_tokens" where "device_tokens"."device_code_hash" = $4::text and "device_tokens"."provider_id" = (select id from provider) limit 1), gate as materialized (select case when not coalesce(p.id is not null, false) then $5::text when not coalesce(not (p.client_type = 'confidential' and p.client_secret_hash is null), false) then $6::text when not coalesce((not p.client_type = 'confidential' or cs.matches), false) then $7::text when not coalesce(p.grant_types @> jsonb_build_array($8::text), false) then $9::text when not coalesce((not p.dpop_bound_access_tokens or $10::boolean), false) then $11::text when not coalesce((not p.dpop_require_nonce or $12::boolean), false) then $13::text when not coalesce(($14::boolean and d.id is not null), false) then $15::text when not coalesce(not d.expired, false) then $16::text when not coalesce(d.status <> 'denied', false) then $17::text when not coalesce(d.status <> 'pending', false) then $18::text when not coalesce((coalesce((d."user"->>'isActive')::boolean, false) and d.auth_time is not null), false) then $19::text when not coalesce(($20::boolean and (null::jsonb is null or p.allowed_resources @> null::jsonb)), false) then $21::text else 'ok' end as outcome
    from (select 1) as one left join provider p on true left join "presented_secret" "cs" on true left join "device" "d" on true), attempt as materialized (select allowed, addresses from edge_attempt((select case when outcome in ($22::text)
      then 'secret' when outcome in ($23::text, $24::text, $25::text) then 'address'
      else 'pass' end from gate), $26::text,
    $27::text, $28::text, $29::text, $30::int,
    $31::int, $32::int, $33::timestamptz, $34::timestamptz)), flagged as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
    select $35::text, $36::jsonb, $37::text,
      $38::jsonb, $39::text, $40::timestamptz, $41::timestamptz from attempt where addresses = $42::int), previous_poll as (select "device_tokens"."id" as id, "device_tokens"."last_polled" is not null
        and "device_tokens"."last_polled" > $43::timestamptz - "device_tokens"."interval" * interval '1 second' as early
      from "device_tokens" where "device_tokens"."id" = (select id from device) and ((select outcome from gate) = 'pending' and (select allowed from attempt)) for update), polled as (update "device_tokens" set last_polled = $44::timestamptz,
        interval = case when previous_poll.early then "device_tokens"."interval" + 5 else "device_tokens"."interval" end
      from previous_poll where "device_tokens"."id" = previous_poll.id returning previous_poll.early as early), consumed as (delete from "device_tokens" where "device_tokens"."id" = (select id from device) and "device_tokens"."status" = 'approved'
        and "device_tokens"."user_id" is not null and "device_tokens"."auth_time" is not null and (not "device_tokens"."expiring" or "device_tokens"."expires" > $45::timestamptz) and (((select outcome from gate) = 'ok' and (select allowed from attempt)) and true)
      returning provider_id, user_id, grant_id, scope, auth_time, session_id, null::jsonb as resources,
        null::text as nonce, (select s.amr from "authenticated_sessions" s where s.id = session_id) as amr,
        (select s.session_key_hash from "authenticated_sessions" s where s.id = session_id) as sid), access as (insert into "access_tokens" (token_hash, provider_id, user_id, grant_id, scope, auth_time, session_id,
      id_token, audience, created, expires, jkt)
    select $46::text, s.provider_id, s.user_id, s.grant_id, s.scope, s.auth_time, s.session_id,
      jsonb_strip_nulls(jsonb_build_object('iat', $47::bigint,
    'exp', floor(extract(epoch from $48::timestamptz + (select "access_token_validity_ms" from provider) * interval '1 millisecond'))::bigint, 'auth_time', floor(extract(epoch from s.auth_time))::bigint, 'acr', $49::text,
    'amr', case when jsonb_array_length(coalesce(s.amr, '[]'::jsonb)) > 0 then s.amr end,
    'nonce', null::text, 'sid', s.sid)), null::jsonb, $50::timestamptz, $51::timestamptz + (select "access_token_validity_ms" from provider) * interval '1 millisecond', $52::text
    from "consumed" s returning expires, id_token), refresh_source as (select * from consumed where 'offline_access' = any(string_to_array(scope, ' '))), refresh as (insert into "refresh_tokens" (id, token_hash, provider_id, user_id, grant_id, scope, auth_time,
      session_id, resources, id_token, created, expires, jkt)
    select $53::uuid, $54::text, s.provider_id, s.user_id, s.grant_id, s.scope, s.auth_time, s.session_id,
      s.resources, jsonb_strip_nulls(jsonb_build_object('iat', $55::bigint,
    'exp', floor(extract(epoch from $56::timestamptz + (select "refresh_token_validity_ms" from provider) * interval '1 millisecond'))::bigint, 'auth_time', floor(extract(epoch from s.auth_time))::bigint, 'acr', $57::text,
    'amr', case when jsonb_array_length(coalesce(s.amr, '[]'::jsonb)) > 0 then s.amr end,
    'nonce', s.nonce, 'sid', s.sid)), $58::timestamptz, $59::timestamptz + (select "refresh_token_validity_ms" from provider) * interval '1 millisecond', case when (select client_type from provider) = 'public' then $60::text end
    from "refresh_source" s returning expires, id_token) select (select row_to_json(provider) from provider) as provider,
  (select row_to_json(a) from "applications" a, provider where a.provider_id = provider.id) as application,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.signing_key_id) as signing_key,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.encryption_key_id) as encryption_key,
  (select coalesce(json_agg(row_to_json(m)), '[]'::json) from "scope_mappings" m
    join "oauth2_provider_scope_mappings" pm on pm.scope_mapping_id = m.id join provider on provider.id = pm.provider_id)
    as scope_mappings, (select outcome from gate) as outcome, (select allowed from attempt) as allowed, (select row_to_json(access) from access) as access,
  (select row_to_json(refresh) from refresh) as refresh, (select "user" from device) as "user", (select scope from device) as scope, (select early from polled) as early, null as proof_fresh;
end
$kept$;
--> statement-breakpoint
create function "edge_kept_f4380ed9e2300924"(text, text, text, timestamp with time zone, timestamp with time zone, integer, text, text, text, text, text, text, text, text, text, text, text, text, integer, integer, integer, timestamp with time zone, timestamp with time zone, text, jsonb, text, jsonb, text, timestamp with time zone, timestamp with time zone, integer, text, text, text, timestamp with time zone, timestamp with time zone) returns table("provider" json, "application" json, "signing_key" json, "encryption_key" json, "scope_mappings" json, "outcome" text, "allowed" boolean, "token" json)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query with provider as (select * from "oauth2_providers" where client_id = $1::text), "presented_secret" as (select coalesce((select client_secret_hash = $2::text from provider), false) as matches), "requests" as (insert into "login_attempts" (key, window_start, count, expires, expiring)
      values ($3::text, $4::timestamptz, 1, $5::timestamptz, true)
      on conflict (key, window_start) do update set count = "login_attempts"."count" + 1 returning count), gate as materialized (select case when not coalesce(coalesce(rq.count, 0) <= $6::int, false) then $7::text when not coalesce(p.id is not null, false) then $8::text when not coalesce(not (p.client_type = 'confidential' and p.client_secret_hash is null), false) then $9::text when not coalesce((not p.client_type = 'confidential' or cs.matches), false) then $10::text when not coalesce(exists (select 1 from applications a where a.provider_id = p.id), false) then $11::text when not coalesce(p.grant_types @> '["device_code"]'::jsonb, false) then $12::text else 'ok' end as outcome
    from (select 1) as one left join provider p on true left join "presented_secret" "cs" on true left join "requests" "rq" on true), attempt as materialized (select allowed, addresses from edge_attempt((select case when outcome in ($13::text)
      then 'secret' when outcome in ($14::text) then 'address'
      else 'pass' end from gate), $15::text,
    $16::text, $17::text, $18::text, $19::int,
    $20::int, $21::int, $22::timestamptz, $23::timestamptz)), flagged as (insert into "events" (action, "user", client_id, context, client_ip, created, expires)
    select $24::text, $25::jsonb, $26::text,
      $27::jsonb, $28::text, $29::timestamptz, $30::timestamptz from attempt where addresses = $31::int), device as (insert into "device_tokens" (device_code_hash, user_code, provider_id, scope, expires, created)
      select $32::text, $33::text, provider.id, (select coalesce(string_agg(r.s, ' ' order by r.i), '') from (
      select u.s, min(u.i) as i from unnest(array[$34]::text[]) with ordinality as u(s, i)
      where u.s in (select m.scope_name from "oauth2_provider_scope_mappings" pm
        join "scope_mappings" m on m.id = pm.scope_mapping_id where pm.provider_id = provider.id)
      group by u.s) r),
        $35::timestamptz + provider.access_code_validity_ms * interval '1 millisecond', $36::timestamptz
      from provider where ((select outcome from gate) = 'ok' and (select allowed from attempt))
      on conflict do nothing
      returning id, scope, expires) select (select row_to_json(provider) from provider) as provider,
  (select row_to_json(a) from "applications" a, provider where a.provider_id = provider.id) as application,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.signing_key_id) as signing_key,
  (select row_to_json(k) from "key_pairs" k, provider where k.id = provider.encryption_key_id) as encryption_key,
  (select coalesce(json_agg(row_to_json(m)), '[]'::json) from "scope_mappings" m
    join "oauth2_provider_scope_mappings" pm on pm.scope_mapping_id = m.id join provider on provider.id = pm.provider_id)
    as scope_mappings, (select outcome from gate) as outcome, (select allowed from attempt) as allowed, (select row_to_json(device) from device) as token;
end
$kept$;
