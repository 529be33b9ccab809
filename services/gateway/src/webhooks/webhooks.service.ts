// Registering, listing and removing a partner's webhooks.
import { randomBytes } from 'node:crypto';
import { ForbiddenException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import { ProblemException } from '../http/problem.js';
import type {
  CreatedWebhookDto,
  WebhookDeliveryListDto,
  WebhookDto,
  WebhookEvent,
  WebhookListDto,
  WebhookRegistration,
} from './webhooks.dto.js';
import { WebhooksRepository, type WebhookRow } from './webhooks.repository.js';
import { WebhookSettings } from './webhooks.settings.js';
import { resolveDestination, WebhookDestinationRefused } from './webhook-destination.js';

/** Recent deliveries listed per webhook: enough to see what failed and why. */
const DELIVERIES_SHOWN = 100;

@Injectable()
export class WebhooksService {
  constructor(
    @Inject(WebhooksRepository) private readonly webhooks: WebhooksRepository,
    @Inject(WebhookSettings) private readonly settings: WebhookSettings,
  ) {}

  async register(principal: Principal, registration: WebhookRegistration): Promise<CreatedWebhookDto> {
    const partnerId = this.partnerOf(principal, registration.partnerId);
    await this.checkDestination(registration.url);
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const row = await this.webhooks.insert({
      partnerId,
      url: registration.url,
      events: registration.events,
      secret,
      createdBy: `${principal.kind}:${principal.subject}`,
    });
    return { ...viewOf(row), secret };
  }

  async list(principal: Principal): Promise<WebhookListDto> {
    return { items: (await this.webhooks.list(principal.partnerId)).map(viewOf) };
  }

  async deliveries(principal: Principal, webhookId: string): Promise<WebhookDeliveryListDto> {
    if (!(await this.webhooks.inScope(webhookId, principal.partnerId)))
      throw new NotFoundException(`webhook ${webhookId} not found`);
    return { items: await this.webhooks.deliveries(webhookId, principal.partnerId, DELIVERIES_SHOWN) };
  }

  async remove(principal: Principal, webhookId: string): Promise<void> {
    // another partner's webhook reads as absent, like its transactions
    if (!(await this.webhooks.delete(webhookId, principal.partnerId)))
      throw new NotFoundException(`webhook ${webhookId} not found`);
  }

  /**
   * Refuses a URL whose host is, or resolves to, an address webhooks may not reach. A name that does not
   * resolve now is accepted: it reaches nothing, and every delivery resolves and checks it again.
   */
  private async checkDestination(url: string): Promise<void> {
    try {
      await resolveDestination(new URL(url).hostname, {
        allowPrivateNetworks: this.settings.allowPrivateNetworks,
      });
    } catch (error) {
      if (error instanceof WebhookDestinationRefused) {
        const detail = `url is refused: ${error.message}`;
        throw new ProblemException(400, detail, { errors: [{ pointer: '/url', detail }] });
      }
      if (isNotFound(error)) return;
      throw error;
    }
  }

  private partnerOf(principal: Principal, requested: string | undefined): string {
    if (principal.partnerId !== null) {
      if (requested !== undefined && requested !== principal.partnerId)
        throw new ForbiddenException('a partner registers webhooks only for its own partner_id');
      return principal.partnerId;
    }
    if (requested === undefined)
      throw new ProblemException(400, 'partner_id is required when an admin registers a webhook', {
        errors: [{ pointer: '/partner_id', detail: 'required for principals without a partner' }],
      });
    return requested;
  }
}

const viewOf = (row: WebhookRow): WebhookDto => ({
  webhook_id: row.webhook_id,
  partner_id: row.partner_id,
  url: row.url,
  events: row.events as WebhookEvent[],
  created_at: row.created_at,
});

const isNotFound = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOTFOUND' || code === 'ENODATA' || code === 'EAI_AGAIN' || code === 'ESERVFAIL';
};
