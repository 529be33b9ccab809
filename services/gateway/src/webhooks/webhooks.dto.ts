// Partner webhooks at the API boundary: the registration body, and what the API answers.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ProblemException } from '../http/problem.js';

/** Events a partner can subscribe to; each is about the partner's own transactions. */
export const WEBHOOK_EVENTS = ['transaction.scored'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export class WebhookRegistrationDto {
  @ApiProperty({
    type: String,
    format: 'uri',
    example: 'https://partner.example.com/vigil/events',
    description: 'https; http only to localhost in development',
  })
  url!: string;

  @ApiProperty({ type: [String], enum: WEBHOOK_EVENTS, example: ['transaction.scored'] })
  events!: WebhookEvent[];

  @ApiPropertyOptional({
    type: String,
    description: 'Admins only: the partner the webhook is for; partners always register their own',
  })
  partner_id?: string;
}

export class WebhookDto {
  @ApiProperty({ type: String, format: 'uuid' })
  webhook_id!: string;

  @ApiProperty({ type: String, example: 'partner-a' })
  partner_id!: string;

  @ApiProperty({ type: String, format: 'uri' })
  url!: string;

  @ApiProperty({ type: [String], enum: WEBHOOK_EVENTS })
  events!: WebhookEvent[];

  @ApiProperty({ type: String, format: 'date-time' })
  created_at!: string;
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({
    type: String,
    description:
      'Signing secret, shown only in this answer. Each delivery carries "Vigil-Signature: t=<unix seconds>,v1=<hex>", ' +
      'where v1 is HMAC-SHA256 with this secret over "<t>.<raw body>".',
  })
  secret!: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] })
  items!: WebhookDto[];
}

export interface WebhookRegistration {
  url: string;
  events: WebhookEvent[];
  partnerId?: string;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const MAX_URL_LENGTH = 2048;

const invalid = (pointer: string, detail: string) =>
  new ProblemException(400, detail, { errors: [{ pointer, detail }] });

/** Checks a registration body; `development` lets http reach loopback, for a receiver on the same machine. */
export function parseWebhookRegistration(body: unknown, development: boolean): WebhookRegistration {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('', 'request body must be a JSON object with url and events');
  const { url, events, partner_id: partnerId, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0)
    throw invalid(`/${unknown[0]}`, `unknown field ${unknown.join(', ')}; allowed: url, events, partner_id`);
  if (typeof url !== 'string' || url.length > MAX_URL_LENGTH)
    throw invalid('/url', `url is required, as a string of at most ${MAX_URL_LENGTH} characters`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('/url', 'url must be an absolute URL, e.g. https://partner.example.com/hooks');
  }
  const loopbackHttp = development && parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname);
  if (parsed.protocol !== 'https:' && !loopbackHttp)
    throw invalid('/url', 'url must use https (http is accepted only for localhost in development)');
  if (parsed.username || parsed.password)
    throw invalid('/url', 'url must not carry credentials; verify deliveries by their signature');
  if (!Array.isArray(events) || events.length === 0)
    throw invalid('/events', `events must be a non-empty array of ${WEBHOOK_EVENTS.join(', ')}`);
  const unknownEvent = events.findIndex((e) => !(WEBHOOK_EVENTS as readonly unknown[]).includes(e));
  if (unknownEvent >= 0)
    throw invalid(
      `/events/${unknownEvent}`,
      `events[${unknownEvent}] must be one of ${WEBHOOK_EVENTS.join(', ')}`,
    );
  if (partnerId !== undefined && (typeof partnerId !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(partnerId)))
    throw invalid('/partner_id', 'partner_id must be 1 to 64 letters, digits, ".", "_" or "-"');
  return {
    url: parsed.toString(),
    events: [...new Set(events as WebhookEvent[])],
    ...(partnerId !== undefined ? { partnerId } : {}),
  };
}

export class WebhookDeliveryDto {
  @ApiProperty({ type: String, format: 'uuid', description: 'Sent as the Vigil-Delivery-Id header' })
  delivery_id!: string;

  @ApiProperty({ type: String, enum: WEBHOOK_EVENTS })
  event_type!: string;

  @ApiProperty({ type: String, description: 'The transaction id, for transaction.scored' })
  event_id!: string;

  @ApiProperty({ type: String, enum: ['pending', 'delivered', 'failed'] })
  status!: 'pending' | 'delivered' | 'failed';

  @ApiProperty({ type: Number, description: 'Attempts made so far' })
  attempts!: number;

  @ApiProperty({ type: Number, nullable: true, description: 'HTTP status of the last answer, if any' })
  last_status_code!: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the last attempt failed' })
  last_error!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'When a pending delivery is tried next',
  })
  next_attempt_at!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  delivered_at!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  created_at!: string;
}

export class WebhookDeliveryListDto {
  @ApiProperty({ type: [WebhookDeliveryDto], description: 'Newest first, at most 100' })
  items!: WebhookDeliveryDto[];
}
