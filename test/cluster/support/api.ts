// The suite's HTTP API from outside the cluster, through a port-forward: one call, and a partner's sign-in with the
// release's demo password.
import { RELEASE, secretValue } from './cluster.js';

export interface Answer {
  status: number;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  text: string;
}

export async function call(
  base: string,
  method: string,
  path: string,
  { token, body, headers }: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

/** An access token of a demo user (development mode's seeded users), signed in at the gateway behind `base`. */
export async function signIn(base: string, username: string): Promise<string> {
  const password = await secretValue(`${RELEASE}-secrets`, 'demo-password');
  const answer = await call(base, 'POST', '/v1/auth/token', { body: { username, password } });
  if (answer.status !== 200)
    throw new Error(`sign-in as ${username} answered ${answer.status}: ${answer.text}`);
  return (answer.json as { access_token: string }).access_token;
}
