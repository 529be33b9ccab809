-- Up Migration
-- People and partner systems that may sign in; passwords are scrypt hashes.
CREATE TABLE gateway.users (
  username      text PRIMARY KEY,
  password_hash text NOT NULL,
  role          text NOT NULL CHECK (role IN ('admin', 'analyst', 'partner')),
  partner_id    text,
  regions       text[] NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK ((role = 'partner') = (partner_id IS NOT NULL))
);

-- Down Migration
DROP TABLE gateway.users;
