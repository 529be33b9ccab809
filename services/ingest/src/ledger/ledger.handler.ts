import { Controller, Inject, Injectable } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Consumers, type TransactionAccepted } from '@vigil/contracts';
import { BatchWriter, Database, sql } from '@vigil/db';
import { JetStreamConsumer } from '@vigil/messaging';

const insertTransactions = sql(
  'ingest.insert_transactions',
  `INSERT INTO ingest.transactions (transaction_id, source, partner_id, region, received_at, record)
   SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[])
   ON CONFLICT (transaction_id) DO NOTHING`,
);

/** The landing table: every accepted record once, written from the stream so a crash loses nothing. */
@Injectable()
export class LedgerRepository {
  private readonly writer: BatchWriter<TransactionAccepted>;

  constructor(@Inject(Database) private readonly db: Database) {
    this.writer = new BatchWriter(db, { write: (rows) => this.write(rows) });
  }

  record(accepted: TransactionAccepted): Promise<void> {
    return this.writer.add(accepted);
  }

  private async write(rows: TransactionAccepted[]): Promise<void> {
    const region = (r: TransactionAccepted) => (typeof r.record.region === 'string' ? r.record.region : null);
    await this.db.query(insertTransactions, [
      rows.map((r) => r.transaction_id),
      rows.map((r) => r.source),
      rows.map((r) => r.partner_id ?? null),
      rows.map(region),
      rows.map((r) => r.received_at),
      rows.map((r) => JSON.stringify(r.record)),
    ]);
  }
}

@Controller()
export class LedgerHandler {
  constructor(@Inject(LedgerRepository) private readonly ledger: LedgerRepository) {}

  @JetStreamConsumer(Consumers.ingestLedger)
  async onAccepted(@Payload() accepted: TransactionAccepted): Promise<void> {
    await this.ledger.record(accepted);
  }
}
