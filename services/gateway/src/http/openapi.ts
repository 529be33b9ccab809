// The OpenAPI 3.1 document, built from the controllers' decorators, served at /docs (UI) and /docs-json.
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadPackage } from '@nestjs/common/utils/load-package.util.js';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

export const DOCS_PATH = 'docs';
export const OPENAPI_VERSION = '3.1.0';

export async function serveOpenApi(app: NestFastifyApplication): Promise<void> {
  // SwaggerModule imports @fastify/static itself, from its own folder, where npm did not put it (it lives
  // under services/gateway/node_modules). Loading it from here fills Nest's package cache, which that import
  // reads first; without it a missing package makes Nest exit the process.
  await loadPackage('@fastify/static', 'SwaggerModule', () => import('@fastify/static'));
  const config = new DocumentBuilder()
    .setOpenAPIVersion(OPENAPI_VERSION)
    .setTitle('Vigil gateway API')
    .setDescription(
      'Submit payment transactions, read their validation status and fraud risk score, export them as CSV, ' +
        'follow them live, register webhooks and work alerts. Sign in with POST /v1/auth/token and send the ' +
        'access token as "Authorization: Bearer <token>". Each route names the permission it needs; roles grant ' +
        'permissions, and a principal confined to a partner or to regions sees only those rows. ' +
        'Errors are problem details (RFC 9457, application/problem+json); 429 and 503 carry Retry-After.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = toOpenApi31(SwaggerModule.createDocument(app, config));
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: `${DOCS_PATH}-json` });
}

/**
 * @nestjs/swagger writes OpenAPI 3.0 idioms whatever version it is told to emit. In 3.1, schemas are
 * JSON Schema 2020-12: `nullable` becomes a "null" member of `type`, and a nullable $ref a oneOf.
 * Error responses are declared as application/problem+json, the media type the filter sends.
 */
export function toOpenApi31(document: OpenAPIObject): OpenAPIObject {
  const converted = convertSchemas(document) as OpenAPIObject;
  for (const path of Object.values(converted.paths)) {
    for (const operation of Object.values(path) as { responses?: Record<string, { content?: object }> }[]) {
      if (typeof operation !== 'object' || !operation?.responses) continue;
      for (const [status, response] of Object.entries(operation.responses)) {
        const content = response.content as Record<string, unknown> | undefined;
        if (Number(status) >= 400 && content?.['application/json']) {
          response.content = { [PROBLEM_CONTENT_TYPE]: content['application/json'] };
        }
      }
    }
  }
  return converted;
}

function convertSchemas(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convertSchemas);
  if (typeof node !== 'object' || node === null) return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) out[key] = convertSchemas(value);
  if (nullable !== true) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
    return out;
  }
  if (Array.isArray(out.type)) return { ...out, type: [...(out.type as unknown[]), 'null'] };
  if (typeof out.$ref === 'string' || out.allOf !== undefined) return { oneOf: [out, { type: 'null' }] };
  return out;
}
