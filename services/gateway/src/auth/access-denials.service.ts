// The audit trail of refused requests: written in the background, so a slow or failing insert never
// changes the answer the caller gets; a failed write is logged instead.
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import {
  AccessDenialsRepository,
  type AccessDenial,
  type AccessDenialRow,
} from './access-denials.repository.js';
import type { AccessDenialsQuery } from './identity.dto.js';

export interface AccessDenialsPage {
  items: (Omit<AccessDenialRow, 'at'> & { at: string })[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  next_before: string | null;
}

@Injectable()
export class AccessDenialsService {
  constructor(
    @Inject(AccessDenialsRepository) private readonly repository: AccessDenialsRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  record(denial: AccessDenial): void {
    this.repository.insert(denial).catch((error: unknown) => {
      this.logger.error({ err: error, denial }, 'could not write the access denial audit row');
    });
  }

  async list(query: AccessDenialsQuery): Promise<AccessDenialsPage> {
    const rows = await this.repository.list(query.limit, query.before ?? null);
    return {
      items: rows.map((row) => ({ ...row, at: row.at.toISOString() })),
      next_before: rows.length === query.limit ? rows[rows.length - 1]!.id : null,
    };
  }
}
