// The live dashboard: a public page and its script; everything they show comes from the authenticated API.
import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/roles.decorator.js';
import { encodingFor, staticAsset, type StaticAsset } from './dashboard.assets.js';
import { DASHBOARD_CSP, DASHBOARD_HTML, DASHBOARD_SCRIPT_PATH } from './dashboard.page.js';
import { DASHBOARD_SCRIPT } from './dashboard.script.js';

const PAGE = staticAsset(DASHBOARD_HTML);
const SCRIPT = staticAsset(DASHBOARD_SCRIPT);

// Nothing to inject: the page and script are constants built once at start-up, holding no data.
// Revalidated on every load (no-cache) so a new gateway version is picked up at once; an unchanged one is a 304.
@ApiExcludeController()
@Controller()
export class DashboardController {
  @Get()
  @Public()
  async page(
    @Headers('accept-encoding') acceptEncoding: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    void reply.header('Content-Security-Policy', DASHBOARD_CSP).header('Referrer-Policy', 'no-referrer');
    await send(reply, PAGE, 'text/html; charset=utf-8', acceptEncoding, ifNoneMatch);
  }

  @Get(DASHBOARD_SCRIPT_PATH)
  @Public()
  async script(
    @Headers('accept-encoding') acceptEncoding: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await send(reply, SCRIPT, 'text/javascript; charset=utf-8', acceptEncoding, ifNoneMatch);
  }
}

async function send(
  reply: FastifyReply,
  asset: StaticAsset,
  contentType: string,
  acceptEncoding: string | undefined,
  ifNoneMatch: string | undefined,
): Promise<void> {
  void reply
    .header('X-Content-Type-Options', 'nosniff')
    .header('Cache-Control', 'no-cache')
    .header('Vary', 'Accept-Encoding')
    .header('ETag', asset.etag);
  if (ifNoneMatch === asset.etag) {
    await reply.code(304).send();
    return;
  }
  const encoding = encodingFor(acceptEncoding);
  if (encoding !== 'identity') void reply.header('Content-Encoding', encoding);
  await reply.type(contentType).send(asset.bodies[encoding]);
}
