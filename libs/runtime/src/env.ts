// One typed, validated parse of the environment per process.
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { TelemetryOptions } from '@vigil/observability';

const Ajv = AjvModule.default;
const ajv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: true, strict: false });
addFormatsModule.default(ajv, ['date-time', 'uri']);

export class ConfigError extends Error {}

/** Validates `env` against a JSON Schema whose properties are environment variable names; fills defaults. */
export function parseEnv<T>(schema: object, env: NodeJS.ProcessEnv = process.env): T {
  const validate = ajv.compile(schema);
  const properties = Object.keys((schema as { properties?: object }).properties ?? {});
  const values: Record<string, unknown> = {};
  for (const name of properties) if (env[name] !== undefined && env[name] !== '') values[name] = env[name];
  if (!validate(values)) {
    const problems = (validate.errors ?? []).map((e) => {
      const name = e.keyword === 'required' ? String(e.params.missingProperty) : e.instancePath.slice(1);
      return `${name} ${e.keyword === 'required' ? 'is required' : e.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return values as T;
}

/** Environment shared by every service. */
export const commonEnv = {
  NATS_URL: { type: 'string', default: 'nats://127.0.0.1:4222' },
  DATABASE_URL: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/vigil' },
  VIGIL_ENV: { type: 'string', enum: ['development', 'production'], default: 'development' },
  LOG_LEVEL: {
    type: 'string',
    enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
    default: 'info',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: { type: 'string', default: '' },
  // share of new traces kept (parent-based: a trace carried in keeps its caller's decision)
  OTEL_TRACES_SAMPLER_ARG: { type: 'number', minimum: 0, maximum: 1, default: 1 },
  // resource attributes of every span: the build (the chart sets the image tag) and the pod (downward API)
  SERVICE_VERSION: { type: 'string', default: '0.1.0' },
  POD_NAME: { type: 'string', default: '' },
  // mTLS to NATS (PEM files, e.g. a mounted cert-manager Secret); PostgreSQL takes its certificates
  // through DATABASE_URL (sslmode=verify-full&sslrootcert=...&sslcert=...&sslkey=...).
  NATS_TLS_CA_FILE: { type: 'string', default: '' },
  NATS_TLS_CERT_FILE: { type: 'string', default: '' },
  NATS_TLS_KEY_FILE: { type: 'string', default: '' },
} as const;

export interface CommonEnv {
  NATS_URL: string;
  DATABASE_URL: string;
  VIGIL_ENV: 'development' | 'production';
  LOG_LEVEL: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  OTEL_EXPORTER_OTLP_ENDPOINT: string;
  OTEL_TRACES_SAMPLER_ARG: number;
  SERVICE_VERSION: string;
  POD_NAME: string;
  METRICS_PORT: number;
  NATS_TLS_CA_FILE?: string;
  NATS_TLS_CERT_FILE?: string;
  NATS_TLS_KEY_FILE?: string;
}

/** The telemetry options every process derives from its environment. */
export function telemetryOptions(
  serviceName: string,
  env: Pick<
    CommonEnv,
    'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_TRACES_SAMPLER_ARG' | 'SERVICE_VERSION' | 'POD_NAME'
  >,
): TelemetryOptions {
  return {
    serviceName,
    serviceVersion: env.SERVICE_VERSION,
    podName: env.POD_NAME || undefined,
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
    sampleRatio: env.OTEL_TRACES_SAMPLER_ARG,
  };
}

/** The NATS TLS files named in the environment, or undefined when none is (plain connection). */
export function natsTlsFiles(env: Partial<CommonEnv>): NatsTlsFiles | undefined {
  const files: NatsTlsFiles = {
    caFile: env.NATS_TLS_CA_FILE || undefined,
    certFile: env.NATS_TLS_CERT_FILE || undefined,
    keyFile: env.NATS_TLS_KEY_FILE || undefined,
  };
  if (!files.caFile && !files.certFile && !files.keyFile) return undefined;
  if (Boolean(files.certFile) !== Boolean(files.keyFile)) {
    throw new ConfigError('NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE must be set together');
  }
  return files;
}

export interface NatsTlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}
