-- Written by `npm run db:kept` (scripts/kept-statements.ts): the kept statements of src/db/kept-statements.ts.
drop function if exists "edge_kept_3fe6c1f372b713e5";
--> statement-breakpoint
create function "edge_kept_4b71338413b355d3"(text, timestamp with time zone) returns table("id" uuid, "revoked" boolean, "jkt" text, "audience" jsonb, "proofFresh" boolean, "scope" text, "idToken" jsonb, "user" json, "userJoined" json, "provider" json, "application" json, "scopeMappings" json)
  language plpgsql as $kept$
#variable_conflict use_column
begin
return query 
    select "access_tokens"."id" as "id", "access_tokens"."revoked" as "revoked",
      "access_tokens"."jkt" as "jkt", "access_tokens"."audience" as "audience", null::boolean as "proofFresh",
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
