// Waits for a service's GET /health/ready to answer 200, reporting what it said last when it never does.
import { setTimeout as sleep } from 'node:timers/promises';

export type ReadinessResult =
  { ready: true } | { ready: false; reason: 'exited' | 'timeout'; lastAnswer: string };

export async function waitForReady(
  url: string,
  { timeoutMs = 90_000, stillStarting }: { timeoutMs?: number; stillStarting: () => boolean },
): Promise<ReadinessResult> {
  const deadline = Date.now() + timeoutMs;
  let lastAnswer = 'no answer yet';
  while (Date.now() < deadline) {
    if (!stillStarting()) return { ready: false, reason: 'exited', lastAnswer };
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
      if (response.status === 200) return { ready: true };
      lastAnswer = `HTTP ${response.status} ${(await response.text()).slice(0, 300)}`;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      lastAnswer = cause ?? (error as Error).message;
    }
    await sleep(250);
  }
  return { ready: false, reason: 'timeout', lastAnswer };
}
