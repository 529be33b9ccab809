// A JSON answer serialised once and sent to every caller that shares it (a scope's summary, a shared list page):
// its ETag answers a revalidation with 304, and each compressed variant is made once, for the first caller
// that accepts it, rather than by a global hook on every response.
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { FastifyReply } from 'fastify';
import { encodingFor, type Encoding } from '../dashboard/dashboard.assets.js';

export class SerialisedJson {
  readonly etag: string;
  private readonly encoded: Partial<Record<Encoding, Buffer>>;

  constructor(value: unknown) {
    const body = Buffer.from(JSON.stringify(value));
    this.etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
    this.encoded = { identity: body };
  }

  body(encoding: Encoding): Buffer {
    let body = this.encoded[encoding];
    if (!body) {
      const identity = this.encoded.identity!;
      // fast settings: a body lives for a second or so, and these are a few KB of repetitive JSON
      body =
        encoding === 'br'
          ? brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } })
          : gzipSync(identity, { level: 6 });
      this.encoded[encoding] = body;
    }
    return body;
  }
}

/** Sends `json` as the caller accepts it: 304 when the caller holds it already, else compressed or not. */
export async function sendSerialisedJson(
  json: SerialisedJson,
  headers: Record<string, string | string[] | undefined>,
  reply: FastifyReply,
): Promise<void> {
  void reply.header('etag', json.etag).header('vary', 'authorization, accept-encoding');
  if (headers['if-none-match'] === json.etag) {
    await reply.code(304).send();
    return;
  }
  const acceptEncoding = headers['accept-encoding'];
  const encoding = encodingFor(typeof acceptEncoding === 'string' ? acceptEncoding : undefined);
  if (encoding !== 'identity') void reply.header('content-encoding', encoding);
  await reply.type('application/json; charset=utf-8').send(json.body(encoding));
}
