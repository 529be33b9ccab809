// Leader election on a coordination.k8s.io Lease, as client-go does it: the holder renews the lease every
// retry period; a candidate takes it over once it has seen the same lease record unchanged for a whole lease
// duration (judged on its own clock, so clocks need not agree). Every write carries the resourceVersion read,
// so two candidates cannot both win. A leader that cannot renew within the renew deadline steps down.
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '@vigil/observability';
import { isConflict, isNotFound, type Kubernetes } from '../kubernetes/kubernetes.js';

export interface LeaderElectionOptions {
  leaseName: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface LeadershipCallbacks {
  onStartedLeading(): Promise<void> | void;
  onStoppedLeading(): Promise<void> | void;
}

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private lastRenewal = 0;
  /** The lease record as last seen, and when this process first saw it so. */
  private observed?: { record: string; at: number };

  constructor(
    private readonly kube: Kubernetes,
    private readonly options: LeaderElectionOptions,
    private readonly callbacks: LeadershipCallbacks,
    private readonly logger: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  /** Stops campaigning; a leader releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.leading) {
      await this.setLeading(false);
      await this.release().catch((error: unknown) => this.logger.warn({ err: error }, 'lease not released'));
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const held = await this.tryAcquireOrRenew();
      if (held) this.lastRenewal = Date.now();
      if (held && !this.leading) await this.setLeading(true);
      if (!held && this.leading) await this.setLeading(false);
    } catch (error) {
      this.logger.warn({ err: error }, 'lease not renewed');
      if (this.leading && Date.now() - this.lastRenewal > this.options.renewDeadlineMs)
        await this.setLeading(false);
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), this.options.retryPeriodMs);
      this.timer.unref();
    }
  }

  private async setLeading(leading: boolean): Promise<void> {
    this.leading = leading;
    this.logger.info(
      { identity: this.options.identity, lease: this.options.leaseName },
      leading ? 'became leader' : 'stopped leading',
    );
    try {
      if (leading) await this.callbacks.onStartedLeading();
      else await this.callbacks.onStoppedLeading();
    } catch (error) {
      this.logger.error({ err: error }, 'leadership change failed');
      if (!leading) return;
      // a leader that cannot reconcile (NATS unreachable, say) hands the lease on instead of holding it idle
      this.leading = false;
      await Promise.resolve(this.callbacks.onStoppedLeading()).catch(() => undefined);
      await this.release().catch(() => undefined);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { identity, leaseName } = this.options;
    const now = new V1MicroTime();
    const durationSeconds = Math.ceil(this.options.leaseDurationMs / 1000);
    let lease: V1Lease;
    try {
      lease = await this.kube.readLease(leaseName);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await this.kube.createLease({
          metadata: { name: leaseName },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: 0,
          },
        });
        return true;
      } catch (createError) {
        if (isConflict(createError) || (createError as { code?: number }).code === 409) return false;
        throw createError;
      }
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime]);
    if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
    const holder = spec.holderIdentity ?? '';
    const expired = Date.now() - this.observed.at > (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder !== identity && holder !== '' && !expired) return false;
    const takingOver = holder !== identity;
    try {
      await this.kube.replaceLease({
        ...lease,
        spec: {
          ...spec,
          // times read back are plain Dates; a MicroTime keeps the microsecond format the API server expects
          ...(spec.acquireTime ? { acquireTime: new V1MicroTime(spec.acquireTime) } : {}),
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          renewTime: now,
          ...(takingOver
            ? { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + (holder === '' ? 0 : 1) }
            : {}),
        },
      });
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  private async release(): Promise<void> {
    const lease = await this.kube.readLease(this.options.leaseName);
    if (lease.spec?.holderIdentity !== this.options.identity) return;
    await this.kube.replaceLease({
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: '',
        renewTime: new V1MicroTime(),
        acquireTime: new V1MicroTime(),
      },
    });
  }
}
