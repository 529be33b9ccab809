import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { OpsServer } from '@vigil/observability';
import type { HealthDto } from './health.dto.js';

@Injectable()
export class HealthService {
  constructor(@Inject(OpsServer) private readonly ops: OpsServer) {}

  /** The same readiness the ops port reports; a 503 carries the failing checks. */
  async check(): Promise<HealthDto> {
    const { ready, checks } = await this.ops.readiness();
    if (!ready) throw new ServiceUnavailableException({ status: 'not ready', checks } satisfies HealthDto);
    return { status: 'ready', checks };
  }
}
