// Development secrets made once per checkout and kept, so tokens, logins and card tokens stay valid across runs.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface DevSecrets {
  JWT_SECRET: string;
  TOKENIZATION_KEY: string;
  DEMO_PASSWORD: string;
  /** Password of the embedded PostgreSQL cluster, when one is used. */
  EMBEDDED_POSTGRES_PASSWORD: string;
}

const GENERATORS: { [K in keyof DevSecrets]: () => string } = {
  // 256 bits: long enough for the services' "at least 32 characters" rule.
  JWT_SECRET: () => randomBytes(32).toString('base64url'),
  TOKENIZATION_KEY: () => randomBytes(32).toString('base64url'),
  // Short enough to type into a login form.
  DEMO_PASSWORD: () => `demo-${randomBytes(9).toString('base64url')}`,
  EMBEDDED_POSTGRES_PASSWORD: () => randomBytes(18).toString('base64url'),
};

/** Reads the secrets file, adds any secret it lacks, and writes it back (mode 0600) when something was added. */
export function loadDevSecrets(file: string): { secrets: DevSecrets; created: string[] } {
  let stored: Partial<Record<string, unknown>> = {};
  if (existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<string, unknown>>;
    } catch (error) {
      throw new Error(`${file} is not valid JSON (${(error as Error).message}); fix or delete it`, {
        cause: error,
      });
    }
  }
  const secrets = {} as DevSecrets;
  const created: string[] = [];
  for (const name of Object.keys(GENERATORS) as (keyof DevSecrets)[]) {
    const value = stored[name];
    if (typeof value === 'string' && value.length > 0) {
      secrets[name] = value;
    } else {
      secrets[name] = GENERATORS[name]();
      created.push(name);
    }
  }
  if (created.length > 0) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ ...stored, ...secrets }, null, 2)}\n`, { mode: 0o600 });
  }
  return { secrets, created };
}
