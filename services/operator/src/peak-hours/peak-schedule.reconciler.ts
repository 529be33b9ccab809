// Holds the validator's and scorer's HPA floors up during a PeakSchedule's windows. Inside a window the HPA's
// minReplicas is raised to the schedule's floor (never lowered) and the value it had is kept in an annotation;
// outside, or when the schedule is deleted, that value is put back. One HPA write per pass; the pass after the
// last write requeues itself for the schedule's next opening or closing.
import { isDeepStrictEqual } from 'node:util';
import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { Logger } from '@vigil/observability';
import { GROUP, PeakScheduleKind } from '../crds/custom-resources.js';
import {
  isNotFound,
  withCondition,
  type Condition,
  type CustomResource,
  type Kubernetes,
} from '../kubernetes/kubernetes.js';
import type { ProcessResult } from '../reconcile/work-queue.js';
import { checkTimeZone, isPeak, nextChange, type PeakScheduleSpec } from './peak-schedule.js';

export const PEAK_FINALIZER = `${GROUP}/peak-floor`;
/** On an HPA while a schedule holds its floor: which schedule, and the minReplicas to restore. */
export const PEAK_ANNOTATION = `${GROUP}/peak-schedule`;

export interface PeakStatus {
  observedGeneration?: number;
  active?: boolean;
  nextChange?: string;
  conditions?: Condition[];
}
export type PeakResource = CustomResource<PeakScheduleSpec, PeakStatus>;

/** The HPAs a schedule may raise, by the spec field that sets their floor. */
export interface PeakTargets {
  validator: string;
  scorer: string;
}

interface Hold {
  schedule: string;
  baseline: number;
}

/** Longest wait before a schedule is looked at again, whatever its windows say. */
const MAX_REQUEUE_MS = 5 * 60_000;

export class PeakScheduleReconciler {
  constructor(
    private readonly kube: Kubernetes,
    private readonly targets: PeakTargets,
    private readonly cached: (name: string) => PeakResource | undefined,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reconcile(name: string): Promise<ProcessResult> {
    const resource = this.cached(name);
    if (!resource) return;
    const finalizers = resource.metadata.finalizers ?? [];
    const id = `${resource.metadata.namespace}/${resource.metadata.name}`;
    if (resource.metadata.deletionTimestamp) {
      if (!finalizers.includes(PEAK_FINALIZER)) return;
      for (const target of ['validator', 'scorer'] as const)
        if (await this.restore(this.targets[target], id)) return { requeueAfterMs: 0 };
      await this.kube.replace(PeakScheduleKind.plural, {
        ...resource,
        metadata: { ...resource.metadata, finalizers: finalizers.filter((f) => f !== PEAK_FINALIZER) },
      });
      return;
    }
    if (!finalizers.includes(PEAK_FINALIZER)) {
      await this.kube.replace(PeakScheduleKind.plural, {
        ...resource,
        metadata: { ...resource.metadata, finalizers: [...finalizers, PEAK_FINALIZER] },
      });
      return;
    }
    try {
      checkTimeZone(resource.spec.timeZone);
    } catch {
      return this.report(resource, 'False', 'InvalidSpec', `unknown time zone ${resource.spec.timeZone}`);
    }
    const now = this.now();
    const active = isPeak(resource.spec, now);
    for (const target of ['validator', 'scorer'] as const) {
      const floor = resource.spec[target]?.minReplicas;
      const hpa = this.targets[target];
      try {
        const changed =
          active && floor !== undefined ? await this.raise(hpa, id, floor) : await this.restore(hpa, id);
        if (changed) return { requeueAfterMs: 0 };
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await this.report(
          resource,
          'False',
          'TargetNotFound',
          `HorizontalPodAutoscaler ${hpa} does not exist`,
        );
        return { requeueAfterMs: 30_000 };
      }
    }
    const next = nextChange(resource.spec, now);
    await this.report(
      resource,
      'True',
      active ? 'PeakFloorHeld' : 'OutsideWindows',
      active
        ? `in a window: ${(['validator', 'scorer'] as const)
            .filter((t) => resource.spec[t])
            .map((t) => `${this.targets[t]} minReplicas >= ${resource.spec[t]!.minReplicas}`)
            .join(', ')}`
        : 'outside its windows: the HPAs keep their own minReplicas',
      { active, ...(next ? { nextChange: next.toISOString() } : {}) },
    );
    const wait = next ? next.getTime() - now.getTime() : MAX_REQUEUE_MS;
    return { requeueAfterMs: Math.max(0, Math.min(wait, MAX_REQUEUE_MS)) };
  }

  /** Raises `hpa` to `floor` on behalf of `schedule`; true when it wrote. */
  private async raise(name: string, schedule: string, floor: number): Promise<boolean> {
    const hpa = await this.kube.readHpa(name);
    const hold = holdOf(hpa);
    if (hold && hold.schedule !== schedule) return false; // another schedule holds it: one owner at a time
    const baseline = hold?.baseline ?? hpa.spec!.minReplicas ?? 1;
    const wanted = Math.min(Math.max(baseline, floor), hpa.spec!.maxReplicas);
    if (hold && hpa.spec!.minReplicas === wanted) return false;
    await this.kube.replaceHpa({
      ...hpa,
      metadata: {
        ...hpa.metadata,
        annotations: {
          ...hpa.metadata?.annotations,
          [PEAK_ANNOTATION]: JSON.stringify({ schedule, baseline }),
        },
      },
      spec: { ...hpa.spec!, minReplicas: wanted },
    });
    this.logger.info({ hpa: name, schedule, minReplicas: wanted, baseline }, 'peak floor raised');
    return true;
  }

  /** Puts back the minReplicas `schedule` found on `hpa`; true when it wrote. */
  private async restore(name: string, schedule: string): Promise<boolean> {
    let hpa: V2HorizontalPodAutoscaler;
    try {
      hpa = await this.kube.readHpa(name);
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
    const hold = holdOf(hpa);
    if (!hold || hold.schedule !== schedule) return false;
    const { [PEAK_ANNOTATION]: _hold, ...annotations } = hpa.metadata?.annotations ?? {};
    await this.kube.replaceHpa({
      ...hpa,
      metadata: { ...hpa.metadata, annotations },
      spec: { ...hpa.spec!, minReplicas: hold.baseline },
    });
    this.logger.info({ hpa: name, schedule, minReplicas: hold.baseline }, 'peak floor restored');
    return true;
  }

  private async report(
    resource: PeakResource,
    ready: Condition['status'],
    reason: string,
    message: string,
    extra: Pick<PeakStatus, 'active' | 'nextChange'> = {},
  ): Promise<void> {
    const generation = resource.metadata.generation ?? 0;
    const previous = resource.status ?? {};
    const status: PeakStatus = {
      ...previous,
      ...extra,
      observedGeneration: generation,
      conditions: withCondition(
        previous.conditions,
        { type: 'Ready', status: ready, reason, message, observedGeneration: generation },
        this.now(),
      ),
    };
    if (isDeepStrictEqual(status, previous)) return;
    await this.kube.replaceStatus(PeakScheduleKind.plural, { ...resource, status });
  }
}

function holdOf(hpa: V2HorizontalPodAutoscaler): Hold | undefined {
  const text = hpa.metadata?.annotations?.[PEAK_ANNOTATION];
  if (!text) return undefined;
  try {
    const hold = JSON.parse(text) as Hold;
    return typeof hold.schedule === 'string' && Number.isInteger(hold.baseline) ? hold : undefined;
  } catch {
    return undefined;
  }
}
