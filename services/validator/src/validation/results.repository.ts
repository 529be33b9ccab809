import { Inject, Injectable } from '@nestjs/common';
import type { TransactionAccepted } from '@vigil/contracts';
import { BatchWriter, Database, sql } from '@vigil/db';
import type { Verdict } from './validation.service.js';

interface ResultRow {
  transactionId: string;
  status: Verdict['status'];
  reasons: string;
  ruleSetVersion: string;
  source: string;
  partnerId: string | null;
  region: string | null;
  validatedAt: string;
  record: string | null;
}

// unnest turns one array per column into rows: one statement per batch, whatever its size
const insertResults = sql(
  'validator.insert_results',
  `INSERT INTO validator.results
     (transaction_id, status, reasons, rule_set_version, source, partner_id, region, validated_at)
   SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
   ON CONFLICT (transaction_id) DO NOTHING`,
);

const insertQuarantine = sql(
  'validator.insert_quarantine',
  `INSERT INTO validator.quarantine (transaction_id, record, reasons, source, partner_id, quarantined_at)
   SELECT * FROM unnest($1::text[], $2::jsonb[], $3::jsonb[], $4::text[], $5::text[], $6::timestamptz[])
   ON CONFLICT (transaction_id) DO NOTHING`,
);

@Injectable()
export class ResultsRepository {
  private readonly writer: BatchWriter<ResultRow>;

  constructor(@Inject(Database) private readonly db: Database) {
    this.writer = new BatchWriter(db, { write: (rows) => this.write(rows) });
  }

  save(accepted: TransactionAccepted, verdict: Verdict, ruleSetVersion: string, at: string): Promise<void> {
    const region = (accepted.record as { region?: unknown }).region;
    return this.writer.add({
      transactionId: accepted.transaction_id,
      status: verdict.status,
      reasons: JSON.stringify(verdict.status === 'valid' ? verdict.warnings : verdict.reasons),
      ruleSetVersion,
      source: accepted.source,
      partnerId: accepted.partner_id ?? null,
      region: typeof region === 'string' ? region : null,
      validatedAt: at,
      record: verdict.status === 'quarantined' ? JSON.stringify(accepted.record) : null,
    });
  }

  private async write(rows: ResultRow[]): Promise<void> {
    const quarantined = rows.filter((r) => r.record !== null);
    await this.db.transaction(async (client) => {
      await client.query(insertResults.text, [
        rows.map((r) => r.transactionId),
        rows.map((r) => r.status),
        rows.map((r) => r.reasons),
        rows.map((r) => r.ruleSetVersion),
        rows.map((r) => r.source),
        rows.map((r) => r.partnerId),
        rows.map((r) => r.region),
        rows.map((r) => r.validatedAt),
      ]);
      if (quarantined.length === 0) return;
      await client.query(insertQuarantine.text, [
        quarantined.map((r) => r.transactionId),
        quarantined.map((r) => r.record),
        quarantined.map((r) => r.reasons),
        quarantined.map((r) => r.source),
        quarantined.map((r) => r.partnerId),
        quarantined.map((r) => r.validatedAt),
      ]);
    });
  }
}
