import { Inject, Injectable } from '@nestjs/common';
import {
  Events,
  transactionSchema,
  compile,
  type Reason,
  type Transaction,
  type TransactionAccepted,
} from '@vigil/contracts';
import { JetStreamPublisher } from '@vigil/messaging';
import { ResultsRepository } from './results.repository.js';
import { BUILTIN_RULES, BUILTIN_RULE_SET_VERSION } from './rules.js';

export type Verdict =
  | { status: 'valid'; transaction: Transaction; warnings: Reason[] }
  | { status: 'quarantined'; reasons: Reason[] };

const conformsToSchema = compile<Transaction>(transactionSchema);

/** A subject token for a region that may be missing or malformed in a quarantined record. */
const partitionOf = (region: unknown): string =>
  typeof region === 'string' && /^[A-Z]{2}$/.test(region) ? region : 'XX';

@Injectable()
export class ValidationService {
  constructor(
    @Inject(JetStreamPublisher) private readonly publisher: JetStreamPublisher,
    @Inject(ResultsRepository) private readonly results: ResultsRepository,
  ) {}

  /** Pure: schema conformity first, then cross-field rules; errors quarantine, warnings pass with a flag. */
  judge(record: unknown): Verdict {
    if (!conformsToSchema(record)) return { status: 'quarantined', reasons: conformsToSchema.reasons() };
    const found = BUILTIN_RULES.flatMap((rule) => rule(record));
    const errors = found.filter((r) => r.severity === 'error');
    if (errors.length > 0) return { status: 'quarantined', reasons: errors };
    return { status: 'valid', transaction: record, warnings: found };
  }

  /** Judges one accepted record, passes it on or quarantines it, and records the verdict; idempotent per id. */
  async process(accepted: TransactionAccepted): Promise<Verdict> {
    const verdict = this.judge(accepted.record);
    const now = new Date().toISOString();
    const msgId = accepted.transaction_id;
    const record = accepted.record as Record<string, unknown>;
    if (verdict.status === 'valid') {
      await this.publisher.publish(
        Events.transactionValidated,
        verdict.transaction.region,
        {
          transaction: verdict.transaction,
          validated_at: now,
          rule_set_version: BUILTIN_RULE_SET_VERSION,
          warnings: verdict.warnings,
        },
        { msgId },
      );
    } else {
      await this.publisher.publish(
        Events.transactionQuarantined,
        partitionOf(record.region),
        {
          transaction_id: accepted.transaction_id,
          source: accepted.source,
          ...(typeof record.region === 'string' ? { region: record.region } : {}),
          ...(accepted.partner_id ? { partner_id: accepted.partner_id } : {}),
          record,
          reasons: verdict.reasons,
          quarantined_at: now,
          rule_set_version: BUILTIN_RULE_SET_VERSION,
        },
        { msgId },
      );
    }
    await this.results.save(accepted, verdict, BUILTIN_RULE_SET_VERSION, now);
    return verdict;
  }
}
