-- Up Migration
-- Identity: the six roles, argon2id password hashes, asymmetric signing keys, refresh token families,
-- partner API keys, OAuth2 clients and an audit of every refused request.
ALTER TABLE gateway.users DROP CONSTRAINT users_role_check;
ALTER TABLE gateway.users
  ADD CONSTRAINT users_role_check
  CHECK (role IN ('admin', 'analyst', 'fraud_ops', 'sre', 'auditor', 'partner'));
COMMENT ON COLUMN gateway.users.password_hash IS
  'PHC argon2id string; legacy scrypt$N$r$p$salt$key hashes are upgraded at the next successful sign-in';

-- JWT signing keys (ES256). The private JWK is sealed with AES-256-GCM under a key derived from JWT_SECRET;
-- the public JWK is served at /.well-known/jwks.json until the key retires.
CREATE TABLE gateway.signing_keys (
  kid                text PRIMARY KEY,
  alg                text NOT NULL CHECK (alg IN ('ES256')),
  public_jwk         jsonb NOT NULL,
  sealed_private_jwk text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  -- set when a newer key takes over: the key still verifies until then (the longest access token lifetime)
  retires_at         timestamptz
);
CREATE INDEX signing_keys_created_at ON gateway.signing_keys (created_at DESC);

-- Opaque refresh tokens, stored as sha256; each use rotates within the family, a reuse revokes the family.
CREATE TABLE gateway.refresh_tokens (
  token_hash  bytea PRIMARY KEY,
  family_id   uuid NOT NULL,
  username    text NOT NULL REFERENCES gateway.users (username) ON DELETE CASCADE,
  issued_at   timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family ON gateway.refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_at ON gateway.refresh_tokens (expires_at);

-- API keys "vgk_<key_id>_<secret>": looked up by key_id, checked against the sha256 of the whole key.
CREATE TABLE gateway.api_keys (
  key_id       text PRIMARY KEY,
  key_hash     bytea NOT NULL,
  name         text NOT NULL,
  role         text NOT NULL CHECK (role IN ('admin', 'analyst', 'fraud_ops', 'sre', 'auditor', 'partner')),
  partner_id   text,
  regions      text[] NOT NULL DEFAULT '{}',
  scopes       text[] NOT NULL,
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  revoked_at   timestamptz,
  CHECK ((role = 'partner') = (partner_id IS NOT NULL))
);
CREATE INDEX api_keys_partner ON gateway.api_keys (partner_id, created_at DESC);

-- OAuth2 clients of the client_credentials grant.
CREATE TABLE gateway.oauth_clients (
  client_id    text PRIMARY KEY,
  secret_hash  bytea NOT NULL,
  name         text NOT NULL,
  role         text NOT NULL CHECK (role IN ('admin', 'analyst', 'fraud_ops', 'sre', 'auditor', 'partner')),
  partner_id   text,
  scopes       text[] NOT NULL,
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  CHECK ((role = 'partner') = (partner_id IS NOT NULL))
);

-- Every 401 and 403 of the API, and every refresh token reuse.
CREATE TABLE gateway.access_denials (
  id             bigserial PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  subject        text,
  kind           text,
  role           text,
  method         text NOT NULL,
  path           text NOT NULL,
  permission     text,
  status         smallint NOT NULL,
  reason         text NOT NULL,
  remote_address text,
  request_id     text
);
CREATE INDEX access_denials_at ON gateway.access_denials (at DESC);

-- Down Migration
DROP TABLE gateway.access_denials;
DROP TABLE gateway.oauth_clients;
DROP TABLE gateway.api_keys;
DROP TABLE gateway.refresh_tokens;
DROP TABLE gateway.signing_keys;
ALTER TABLE gateway.users DROP CONSTRAINT users_role_check;
UPDATE gateway.users SET role = 'analyst' WHERE role NOT IN ('admin', 'analyst', 'partner');
ALTER TABLE gateway.users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'analyst', 'partner'));
