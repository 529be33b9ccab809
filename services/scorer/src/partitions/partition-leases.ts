// Which replica owns which account partition. Replicas announce themselves in a KV bucket whose
// entries expire unless renewed; each partition goes to the live member that ranks highest for it
// (rendezvous hashing), so members agree without talking, and a join or a death moves only the
// partitions it must. A lease is a KV key created by its owner; its creation revision is the epoch
// that fences the previous owner's writes in Postgres.
import { Kvm, type KV } from '@nats-io/kv';
import { SCORER_LEASES_BUCKET, SCORING_PARTITIONS, fnv1a } from '@vigil/contracts';
import type { NatsClient } from '@vigil/messaging';
import type { Logger } from '@vigil/observability';

export interface PartitionOwner {
  /** The partition is ours from `epoch` on: start processing it. */
  acquired(partition: number, epoch: number): void;
  /** Stop processing the partition. `graceful`: finish the batch in hand; otherwise the lease is already gone. */
  released(partition: number, graceful: boolean): Promise<void>;
}

interface Held {
  revision: number;
  epoch: number;
}

const rank = (member: string, partition: number): number => {
  let hash = fnv1a(`${member}#${partition}`);
  // a final avalanche so members with similar names do not rank alike
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
};

export function preferredOwner(members: readonly string[], partition: number): string | undefined {
  let best: string | undefined;
  let bestRank = -1;
  for (const member of [...members].sort()) {
    const r = rank(member, partition);
    if (r > bestRank) {
      best = member;
      bestRank = r;
    }
  }
  return best;
}

export class PartitionLeases {
  private kv!: KV;
  private readonly held = new Map<number, Held>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly nats: NatsClient,
    readonly member: string,
    private readonly ttlMs: number,
    private readonly owner: PartitionOwner,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.kv = await new Kvm(this.nats.connection).create(SCORER_LEASES_BUCKET, {
      history: 1,
      ttl: this.ttlMs,
    });
    await this.tick();
    this.timer = setInterval(
      () => {
        this.ticking = this.ticking.then(() => this.tick());
      },
      Math.max(Math.floor(this.ttlMs / 3), 100),
    );
  }

  owned(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** A worker failed: give the partition up so it is claimed again, with a new epoch and fresh state. */
  async surrender(partition: number): Promise<void> {
    const held = this.held.get(partition);
    if (!held) return;
    this.held.delete(partition);
    await this.kv.delete(leaseKey(partition), { previousSeq: held.revision }).catch(() => undefined);
  }

  /** Stops every partition after its current batch, then gives the leases and the membership back. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    for (const partition of this.owned()) {
      await this.owner.released(partition, true);
      await this.surrender(partition);
    }
    await this.kv.delete(memberKey(this.member)).catch(() => undefined);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      // renewals first and together: a slow handover or a long member list must not let a lease lapse
      await Promise.all(this.owned().map((partition) => this.renew(partition)));
      await this.kv.put(memberKey(this.member), String(Date.now()));
      const members: string[] = [];
      for await (const key of await this.kv.keys('member.*')) members.push(key.slice('member.'.length));
      if (!members.includes(this.member)) members.push(this.member);
      for (let partition = 0; partition < SCORING_PARTITIONS; partition++) {
        if (this.stopped) return;
        await this.reconcile(partition, preferredOwner(members, partition) === this.member);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'partition lease round failed; retrying');
    }
  }

  private async renew(partition: number): Promise<void> {
    const held = this.held.get(partition);
    if (!held) return;
    try {
      held.revision = await this.kv.update(leaseKey(partition), this.member, held.revision);
    } catch (error) {
      // expired (this replica stalled longer than the TTL) or taken: the epoch's writes are fenced anyway
      this.logger.warn({ err: error, partition }, 'partition lease lost');
      this.held.delete(partition);
      await this.owner.released(partition, false);
    }
  }

  private async reconcile(partition: number, preferred: boolean): Promise<void> {
    const held = this.held.get(partition);
    if (held && !preferred) {
      // a new member ranks higher: hand over after the batch in hand
      this.logger.info({ partition }, 'handing partition over');
      await this.owner.released(partition, true);
      await this.surrender(partition);
      return;
    }
    if (held || !preferred) return;
    try {
      const revision = await this.kv.create(leaseKey(partition), this.member);
      this.held.set(partition, { revision, epoch: revision });
      this.logger.info({ partition, epoch: revision }, 'partition acquired');
      this.owner.acquired(partition, revision);
    } catch {
      // still leased by its previous owner until that lease is handed over or expires
    }
  }
}

const leaseKey = (partition: number): string => `partition.${partition}`;
const memberKey = (member: string): string => `member.${member}`;
