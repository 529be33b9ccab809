// The closing lines of a sending command: what was answered, why records were refused, what failed.
import { describeTally, type BatchSender } from './batch-sender.js';
import type { CliOutput } from './cli-io.js';

export function formatRate(count: number, elapsedMs: number): string {
  const perSecond = elapsedMs > 0 ? Math.round((count * 1000) / elapsedMs) : count;
  return `${perSecond.toLocaleString('en-US')} records/s`;
}

export function printDeliverySummary(
  stderr: CliOutput,
  label: string,
  sender: BatchSender,
  produced: number,
  elapsedMs: number,
): void {
  const { tally } = sender;
  const seconds = (elapsedMs / 1000).toFixed(1);
  stderr.write(
    `${label}: ${tally.records.toLocaleString('en-US')} of ${produced.toLocaleString('en-US')} records answered in ` +
      `${tally.batches} requests, ${seconds} s (${formatRate(tally.records, elapsedMs)}): ${describeTally(tally)}\n`,
  );
  for (const rejection of sender.rejections) {
    const id = rejection.transactionId ?? `record ${rejection.index} of its batch`;
    stderr.write(`  rejected ${id}: ${rejection.reasons}\n`);
  }
  if (sender.failure) {
    stderr.write(`${label}: error: ${sender.failure.message}\n`);
    stderr.write(
      `${label}: ${(produced - tally.records).toLocaleString('en-US')} records were not delivered\n`,
    );
  }
}
