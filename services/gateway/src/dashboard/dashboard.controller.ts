// The live dashboard: a public page and its script; everything they show comes from the authenticated API.
import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/roles.decorator.js';
import { DASHBOARD_CSP, DASHBOARD_HTML, DASHBOARD_SCRIPT_PATH } from './dashboard.page.js';
import { DASHBOARD_SCRIPT } from './dashboard.script.js';

// Nothing to inject: the page and script are constants built once at start-up, holding no data.
// Revalidated on every load (no-cache) so a new gateway version is picked up at once; both are a few KB.
@ApiExcludeController()
@Controller()
export class DashboardController {
  @Get()
  @Public()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', DASHBOARD_CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('Cache-Control', 'no-cache')
  page(): string {
    return DASHBOARD_HTML;
  }

  @Get(DASHBOARD_SCRIPT_PATH)
  @Public()
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'no-cache')
  script(): string {
    return DASHBOARD_SCRIPT;
  }
}
