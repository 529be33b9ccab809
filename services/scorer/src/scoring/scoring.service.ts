import { Inject, Injectable } from '@nestjs/common';
import { Events, type TransactionScored, type TransactionValidated } from '@vigil/contracts';
import { JetStreamPublisher } from '@vigil/messaging';
import { OpsServer } from '@vigil/observability';
import { Histogram } from 'prom-client';
import { AccountStateRepository } from './account-state.repository.js';
import { MODEL_VERSION, scoreTransaction } from './risk-rules.js';
import { ScoresRepository } from './scores.repository.js';

@Injectable()
export class ScoringService {
  private readonly scores: Histogram;

  constructor(
    @Inject(AccountStateRepository) private readonly accounts: AccountStateRepository,
    @Inject(ScoresRepository) private readonly repository: ScoresRepository,
    @Inject(JetStreamPublisher) private readonly publisher: JetStreamPublisher,
    @Inject(OpsServer) ops: OpsServer,
  ) {
    this.scores = new Histogram({
      name: 'vigil_risk_score',
      help: 'Distribution of risk scores',
      buckets: [0.1, 0.25, 0.5, 0.75, 0.8, 0.9, 0.95],
      registers: [ops.registry],
    });
  }

  /** Scores one validated transaction, persists the score and publishes it; idempotent per transaction id. */
  async process(validated: TransactionValidated): Promise<TransactionScored> {
    const { transaction } = validated;
    const remembered = this.accounts.rememberTransfer(transaction);
    const matchingInboundTransfer = await this.accounts.findMatchingTransfer(transaction);
    const { score, reasons } = scoreTransaction(transaction, validated.warnings, { matchingInboundTransfer });
    const scored: TransactionScored = {
      transaction,
      score,
      reasons,
      scored_at: new Date().toISOString(),
      model_version: MODEL_VERSION,
    };
    await Promise.all([
      remembered,
      this.repository.save(scored),
      this.publisher.publish(Events.transactionScored, transaction.region, scored, {
        msgId: transaction.transaction_id,
      }),
    ]);
    this.scores.observe(score);
    return scored;
  }
}
