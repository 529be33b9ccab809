// The OpenAPI document, built from the controllers' decorators, served at /docs (UI) and /docs-json.
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadPackage } from '@nestjs/common/utils/load-package.util.js';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export const DOCS_PATH = 'docs';

export async function serveOpenApi(app: NestFastifyApplication): Promise<void> {
  // SwaggerModule imports @fastify/static itself, from its own folder, where npm did not put it (it lives
  // under services/gateway/node_modules). Loading it from here fills Nest's package cache, which that import
  // reads first; without it a missing package makes Nest exit the process.
  await loadPackage('@fastify/static', 'SwaggerModule', () => import('@fastify/static'));
  const config = new DocumentBuilder()
    .setTitle('Vigil gateway API')
    .setDescription(
      'Submit payment transactions, read their validation status and fraud risk score, and list alerts. ' +
        'Sign in with POST /v1/auth/token and send the access token as "Authorization: Bearer <token>". ' +
        'Roles: admin (everything), analyst (read transactions and alerts, optionally limited to regions), ' +
        'partner (submit and read its own transactions).',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: `${DOCS_PATH}-json` });
}
