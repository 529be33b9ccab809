import { commonEnv, parseEnv, type CommonEnv } from '@vigil/runtime';

export interface IngestEnv extends CommonEnv {
  INGEST_PORT: number;
  INGEST_HOST: string;
  TOKENIZATION_KEY?: string;
  PAYSIM_CURRENCY: string;
  PAYSIM_REGION: string;
  PAYSIM_EPOCH: string;
}

export const ingestEnv = (env: NodeJS.ProcessEnv = process.env): IngestEnv =>
  parseEnv<IngestEnv>(
    {
      type: 'object',
      properties: {
        ...commonEnv,
        METRICS_PORT: { type: 'integer', default: 9101 },
        INGEST_PORT: { type: 'integer', default: 8081 },
        INGEST_HOST: { type: 'string', default: '0.0.0.0' },
        TOKENIZATION_KEY: { type: 'string' },
        PAYSIM_CURRENCY: { type: 'string', pattern: '^[A-Z]{3}$', default: 'KES' },
        PAYSIM_REGION: { type: 'string', pattern: '^[A-Z]{2}$', default: 'KE' },
        PAYSIM_EPOCH: { type: 'string', format: 'date-time', default: '2026-01-01T00:00:00Z' },
      },
    },
    env,
  );
