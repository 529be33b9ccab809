// A synchronous decision (POST /v1/decisions): the record is stored and published as a submission's, so it goes
// on through the pipeline once, as if submitted; the validator validates that message now rather than in turn
// (recorded and published once: the stream finds the verdict when it gets there), and the owner of the paying
// account's partition scores it with the state the stream uses. That owner keeps the decision for the stream,
// which stores it as the transaction's score instead of its own computation.
import { Inject, Injectable } from '@nestjs/common';
import {
  Requests,
  partitionOf,
  scorerDecideSubject,
  type IngestDecideReply,
  type IngestDecideRequest,
  type Transaction,
  type TransactionValidated,
} from '@vigil/contracts';
import { JetStreamClient, describeFailure } from '@vigil/messaging';
import { SubmissionService } from './submission.service.js';

/** How long each of the two questions (the validator, the partition's owner) may take before the answer is "undecided". */
export const DECISION_STEP_TIMEOUT_MS = 1_500;

@Injectable()
export class DecisionService {
  constructor(
    @Inject(SubmissionService) private readonly submissions: SubmissionService,
    @Inject(JetStreamClient) private readonly client: JetStreamClient,
  ) {}

  async decide(request: IngestDecideRequest): Promise<IngestDecideReply> {
    const { result, accepted, seq } = await this.submissions.submitOne(request.record, {
      source: request.source,
      ...(request.partner_id ? { partnerId: request.partner_id } : {}),
    });
    const id = result.transaction_id !== undefined ? { transaction_id: result.transaction_id } : {};
    if (accepted === undefined || seq === undefined)
      return { status: 'rejected', ...id, reasons: result.reasons ?? [] };
    const known = { ...id, duplicate: result.status === 'duplicate' };
    // stored and published from here on: whatever happens next, the stream scores it, once
    const undecided = (step: string, error: unknown): IngestDecideReply => ({
      status: 'undecided',
      ...known,
      detail: `${step}: ${describeFailure(error).message}`,
    });
    let verdict;
    try {
      verdict = await this.client.request(
        Requests.validatorValidate,
        { accepted, stream_seq: seq },
        DECISION_STEP_TIMEOUT_MS,
      );
    } catch (error) {
      return undecided('the validator did not answer', error);
    }
    if (verdict.status === 'quarantined')
      return {
        status: 'quarantined',
        ...known,
        reasons: verdict.reasons,
        rule_set_version: verdict.rule_set_version,
      };
    const transaction = accepted.record as Transaction;
    const validated: TransactionValidated = {
      transaction,
      validated_at: verdict.validated_at,
      rule_set_version: verdict.rule_set_version,
      warnings: verdict.reasons,
    };
    try {
      const decision = await this.client.request(
        Requests.scorerDecide,
        validated,
        DECISION_STEP_TIMEOUT_MS,
        scorerDecideSubject(partitionOf(transaction.origin.account)),
      );
      return {
        status: 'decided',
        ...known,
        reasons: verdict.reasons,
        rule_set_version: verdict.rule_set_version,
        decision,
      };
    } catch (error) {
      return undecided("the scorer that owns the paying account's partition did not answer", error);
    }
  }
}
