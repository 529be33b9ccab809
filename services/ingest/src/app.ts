import { fileURLToPath } from 'node:url';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Consumers, Requests, redactCardNumbers } from '@vigil/contracts';
import {
  Platform,
  PinoNestLogger,
  jetStreamServerFor,
  requireSecret,
  traceRequests,
  type RunningService,
} from '@vigil/runtime';
import { IngestModule } from './app.module.js';
import { ingestEnv, type IngestEnv } from './config.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

export async function startIngest(env: IngestEnv = ingestEnv()): Promise<RunningService> {
  const platform = await Platform.start({ service: 'ingest', env, migrationsDir: MIGRATIONS_DIR });
  const tokenizationKey = requireSecret(
    'TOKENIZATION_KEY',
    env.TOKENIZATION_KEY,
    env.VIGIL_ENV,
    platform.logger,
  );
  const module = IngestModule.register(platform, {
    tokenizationKey,
    normalizeDefaults: {
      paysimCurrency: env.PAYSIM_CURRENCY,
      paysimRegion: env.PAYSIM_REGION,
      paysimEpochMs: Date.parse(env.PAYSIM_EPOCH),
    },
  });
  const adapter = new FastifyAdapter({ bodyLimit: 16 * 1024 * 1024 });
  traceRequests(adapter.getInstance(), platform.service, platform.logger, platform.ops.registry);
  // an error answer may quote what the client sent (a JSON parser's message does): no card number in it
  adapter.getInstance().addHook('onSend', (_request, reply, payload, done) => {
    done(null, reply.statusCode >= 400 && typeof payload === 'string' ? redactCardNumbers(payload) : payload);
  });
  // NDJSON bodies reach the controller as a stream, so large loads are never held in memory whole
  adapter
    .getInstance()
    .addContentTypeParser(/^application\/(x-)?ndjson/, (_request, payload, done) => done(null, payload));
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: new PinoNestLogger(platform.logger),
  });
  app.connectMicroservice({
    strategy: jetStreamServerFor({
      platform,
      consumers: [Consumers.ingestLedger],
      requests: [Requests.ingestSubmit, Requests.ingestDecide, Requests.ingestReplay],
    }),
  });
  await app.startAllMicroservices();
  await app.listen(env.INGEST_PORT, env.INGEST_HOST);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : env.INGEST_PORT;
  platform.markStarted();
  platform.logger.info({ port }, 'ingest API listening');
  return {
    url: `http://127.0.0.1:${port}`,
    platform,
    close: async () => {
      await app.close();
      await platform.close();
    },
  };
}
