// Statements that must commit together run on one transaction's client; named queries keep their SQL in one place.
import type { Database, NamedQuery } from '@vigil/db';

export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

export async function run<R extends object>(
  client: Tx,
  query: NamedQuery,
  values: unknown[] = [],
): Promise<R[]> {
  return (await client.query<R & Record<string, unknown>>(query.text, values)).rows;
}
