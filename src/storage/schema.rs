//! The tables, in types both backends share (Text, BigInt, Bool, Binary, Timestamp in UTC).
//! Kept by hand: `diesel print-schema` differs per backend, this file is their common subset.

diesel::table! {
    principals (id) {
        id -> Text,
        kind -> Text,
        created_at -> Timestamp,
        identifier_key -> Nullable<Text>,
    }
}

diesel::table! {
    clients (id) {
        id -> Text,
        client_id -> Text,
        principal_kind -> Text,
        name -> Text,
        description -> Text,
        client_type -> Text,
        grant_types -> Text,
        scopes -> Text,
        default_scopes -> Text,
        audiences -> Text,
        token_ttl_seconds -> Nullable<BigInt>,
        token_endpoint_auth_method -> Text,
        is_service_account -> Bool,
        is_admin_service_account -> Bool,
        active -> Bool,
        tokens_revoked_before -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        managed_by -> Text,
        jwks -> Nullable<Text>,
        default_audiences -> Nullable<Text>,
        org_id -> Text,
        redirect_uris -> Text,
        jwks_uri -> Nullable<Text>,
    }
}

diesel::table! {
    client_secrets (id) {
        id -> Text,
        client_pk -> Text,
        name -> Text,
        secret_hash -> Binary,
        hash_scheme -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        last_four -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        principal_kind -> Text,
        display_name -> Text,
        email -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        org_id -> Text,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        alg -> Text,
        public_jwk -> Text,
        sealed_private -> Binary,
        created_at -> Timestamp,
        activates_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        occurred_at -> Timestamp,
        actor -> Text,
        actor_kind -> Text,
        action -> Text,
        target -> Text,
        target_kind -> Text,
        ip -> Nullable<Text>,
        details -> Text,
        org_id -> Nullable<Text>,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        parent_id -> Nullable<Text>,
        depth -> Integer,
        parent_depth -> Nullable<Integer>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    groups (id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        description -> Text,
        scopes -> Text,
        audiences -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    group_members (id) {
        id -> Text,
        group_id -> Text,
        org_id -> Text,
        client_pk -> Nullable<Text>,
        user_id -> Nullable<Text>,
        added_at -> Timestamp,
    }
}

diesel::table! {
    deleted_clients (client_id, deleted_at) {
        client_id -> Text,
        deleted_at -> Timestamp,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        client_pk -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    used_assertions (client_id, jti) {
        client_id -> Text,
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    auth_codes (code_hash) {
        code_hash -> Text,
        client_id -> Text,
        user_id -> Text,
        redirect_uri -> Text,
        pkce -> Text,
        scope -> Text,
        audiences -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        family_id -> Text,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        family_id -> Text,
        client_id -> Text,
        user_id -> Text,
        scope -> Text,
        audiences -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    family_tokens (jti) {
        jti -> Text,
        family_id -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    console_sessions (id_hash) {
        id_hash -> Text,
        user_id -> Text,
        scope -> Text,
        family_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    trust_policies (id) {
        id -> Text,
        client_pk -> Text,
        issuer -> Text,
        jwks_uri -> Nullable<Text>,
        jwks -> Nullable<Text>,
        audience -> Text,
        subject -> Text,
        claims -> Text,
        max_token_age_seconds -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(client_secrets -> clients (client_pk));
diesel::allow_tables_to_appear_in_same_query!(
    principals,
    clients,
    client_secrets,
    users,
    signing_keys,
    audit_events,
    revoked_tokens,
    deleted_clients,
    used_assertions,
    organizations,
    groups,
    group_members,
    sessions,
    auth_codes,
    refresh_tokens,
    family_tokens,
    console_sessions,
    trust_policies,
);
