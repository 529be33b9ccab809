// The live feed as server-sent events: scored transactions and raised alerts in the caller's scope.
import { Controller, Get, Inject, Req, Res, type OnModuleDestroy } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Authenticator } from '../auth/authenticator.js';
import type { Principal } from '../auth/principal.js';
import { InvalidTokenError } from '../auth/token.service.js';
import { CurrentPrincipal, Requires } from '../auth/roles.decorator.js';
import { ErrorDto } from '../http/error.dto.js';
import { FeedSettings } from './feed.settings.js';
import { FeedService, shownTo, visibleTo, type FeedEvent } from './feed.service.js';

/** A client that has not read this much of its stream is too slow to follow the feed and is let go. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

@ApiTags('feed')
@ApiBearerAuth()
@Controller('v1/feed')
export class FeedController implements OnModuleDestroy {
  private readonly open = new Set<() => void>();

  constructor(
    @Inject(FeedService) private readonly feed: FeedService,
    @Inject(FeedSettings) private readonly settings: FeedSettings,
    @Inject(Authenticator) private readonly authenticator: Authenticator,
  ) {}

  @Get()
  @Requires('feed:read')
  @ApiOperation({
    summary: 'Live feed of scored transactions and raised alerts (server-sent events)',
    description:
      'Events "transaction.scored" (needs transactions:read) and "alert.raised" (needs alerts:read), each with an id and JSON data, ' +
      "in the caller's scope: a partner sees its own transactions, a principal confined to regions those regions. " +
      "A comment line keeps the stream alive every 15 s. Browsers' EventSource cannot send headers, so this " +
      'route alone also takes the access token as ?access_token=. Permission: feed:read.',
  })
  @ApiQuery({
    name: 'access_token',
    required: false,
    type: String,
    description: 'Instead of the Authorization header, for EventSource; removed from the URL before logging',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An endless text/event-stream', schema: { type: 'string' } })
  @ApiUnauthorizedResponse({ type: ErrorDto })
  @ApiForbiddenResponse({ type: ErrorDto })
  async stream(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // the socket is ours from here on: no compression or serialisation may hold events back
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    const close = () => {
      stop();
      clearInterval(heartbeat);
      this.open.delete(close);
      if (!out.writableEnded) out.end();
    };
    const send = (event: FeedEvent) => {
      if (!visibleTo(principal, event)) return;
      const shown = shownTo(principal, event);
      out.write(`event: ${shown.name}\nid: ${shown.id}\ndata: ${JSON.stringify(shown.data)}\n\n`);
      if (out.writableLength > MAX_BUFFERED_BYTES) close();
    };
    const stop = await this.feed.listen(send);
    // a stream outlives the check that opened it: at each heartbeat its credentials are checked again, so a
    // revoked client, session or API key (or an expired token) stops receiving events within a heartbeat
    const credentials = {
      authorization: request.headers.authorization,
      'x-api-key': request.headers['x-api-key'],
    };
    const comment = (text: string) => {
      if (!out.writableEnded) out.write(`: ${text}\n\n`);
    };
    const heartbeat = setInterval(() => {
      this.authenticator.authenticate(credentials).then(
        () => comment('heartbeat'),
        (error: unknown) => {
          // anything but a refusal (the database away for a moment) keeps the stream until the next check
          if (!(error instanceof InvalidTokenError)) return comment('heartbeat');
          // EventSource reconnects, and is then refused with 401
          comment(`credentials refused: ${error.message.replace(/\n/g, ' ')}`);
          close();
        },
      );
    }, this.settings.heartbeatMs);
    this.open.add(close);
    request.raw.on('close', close);
    out.write('retry: 3000\n: connected\n\n');
  }

  /** Ends every open stream, so that the HTTP server can close. */
  onModuleDestroy(): void {
    for (const close of [...this.open]) close();
  }
}
