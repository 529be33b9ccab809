// Silences: label matchers that mute notifications for a while (every matching alert, or one alert's labels).
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type {
  Silence,
  SilenceCreateRequest,
  SilenceExpireRequest,
  SilencesListReply,
} from '@vigil/contracts';
import { PermanentError } from '@vigil/messaging';
import { AlertsRepository } from '../alerts/alerts.repository.js';
import { Clock } from '../clock/clock.js';
import { parseDuration } from '../policy/durations.js';
import { parseMatchers } from '../policy/matchers.js';
import { SilencesRepository, type SilenceRow } from './silences.repository.js';

const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function silenceView(row: SilenceRow, now: Date): Silence {
  return {
    silence_id: row.silence_id,
    matchers: row.matchers,
    starts_at: row.starts_at.toISOString(),
    ends_at: row.ends_at.toISOString(),
    comment: row.comment,
    created_by: row.created_by,
    status: row.starts_at > now ? 'pending' : row.ends_at > now ? 'active' : 'expired',
  };
}

@Injectable()
export class SilencesService {
  constructor(
    @Inject(SilencesRepository) private readonly silences: SilencesRepository,
    @Inject(AlertsRepository) private readonly alerts: AlertsRepository,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async create(request: SilenceCreateRequest): Promise<Silence> {
    const now = this.clock.now();
    let matchers = request.matchers;
    if (request.alert_id) {
      const alert = await this.alerts.find(request.alert_id);
      if (!alert) throw new PermanentError(`alert ${request.alert_id} not found`, 404);
      matchers = Object.entries(alert.labels).map(([name, value]) => `${name}=${quote(value)}`);
    }
    try {
      parseMatchers(matchers);
    } catch (error) {
      throw new PermanentError((error as Error).message);
    }
    if (request.ends_at && request.duration) throw new PermanentError('give ends_at or duration, not both');
    const startsAt = request.starts_at ? new Date(request.starts_at) : now;
    const endsAt = request.ends_at
      ? new Date(request.ends_at)
      : new Date(startsAt.getTime() + parseDuration(request.duration!));
    if (endsAt <= startsAt) throw new PermanentError('a silence must end after it starts');
    if (endsAt <= now) throw new PermanentError('a silence must end in the future');
    const row = await this.silences.insert({
      silence_id: randomUUID(),
      matchers: matchers!,
      starts_at: startsAt,
      ends_at: endsAt,
      comment: request.comment,
      created_by: request.created_by,
    });
    return silenceView(row, now);
  }

  async expire(request: SilenceExpireRequest): Promise<Silence> {
    const now = this.clock.now();
    const row = await this.silences.expire(request.silence_id, now, request.by);
    if (!row) throw new PermanentError(`silence ${request.silence_id} not found`, 404);
    return silenceView(row, now);
  }

  async list(includeExpired: boolean): Promise<SilencesListReply> {
    const now = this.clock.now();
    return { items: (await this.silences.list(includeExpired, now)).map((row) => silenceView(row, now)) };
  }
}
