// The operator process: NATS (the vigil-config bucket), the Kubernetes API, the ops port, and a Nest
// application context whose leader election starts the controllers on the replica holding the lease.
import { hostname } from 'node:os';
import { NestFactory } from '@nestjs/core';
import { NatsClient } from '@vigil/messaging';
import { OpsServer, createLogger, startTelemetry } from '@vigil/observability';
import { PinoNestLogger, natsTlsFiles, telemetryOptions, type RunningProcess } from '@vigil/runtime';
import { operatorEnv, type OperatorEnv } from './config.js';
import { documentCompilers, loadScorerModels } from './documents/document-compilers.js';
import { Kubernetes, loadKubeConfig } from './kubernetes/kubernetes.js';
import { LeaderElector } from './leader/leader-election.js';
import { OperatorModule } from './operator.module.js';
import { Operator } from './operator.js';

export interface RunningOperator extends RunningProcess {
  operator: Operator;
  elector: LeaderElector;
  metricsPort: number;
}

export async function startOperator(
  env: OperatorEnv = operatorEnv(),
  options: { now?: () => Date } = {},
): Promise<RunningOperator> {
  startTelemetry(telemetryOptions('operator', env));
  const logger = createLogger('operator', env.LOG_LEVEL);
  const identity = env.POD_NAME || `${hostname()}-${process.pid}`;
  const models = await loadScorerModels(env.SCORER_MODELS_DIR);
  const nats = await NatsClient.connect({
    url: env.NATS_URL,
    name: 'operator',
    logger,
    tls: natsTlsFiles(env),
  });
  const kube = new Kubernetes(loadKubeConfig(env.KUBECONFIG), env.OPERATOR_NAMESPACE);
  const ops = new OpsServer('operator');
  const app = await NestFactory.createApplicationContext(
    OperatorModule.register({
      env,
      identity,
      nats,
      kube,
      ops,
      logger,
      compilers: documentCompilers(models),
      ...(options.now ? { now: options.now } : {}),
    }),
    { logger: new PinoNestLogger(logger), abortOnError: false },
  );
  const elector = app.get(LeaderElector);
  ops.addReadinessCheck('nats', () => nats.ping());
  ops.addReadinessCheck('kubernetes', () => kube.ping());
  ops.addHealthDetail('identity', () => identity);
  ops.addHealthDetail('leader', () => elector.isLeader);
  const metricsPort = await ops.listen(env.METRICS_PORT);
  logger.info(
    { port: metricsPort, identity, namespace: env.OPERATOR_NAMESPACE },
    'metrics and health listening',
  );
  await app.init();
  return {
    logger,
    operator: app.get(Operator),
    elector,
    metricsPort,
    close: async () => {
      await app.close();
      await nats.drain().catch(() => undefined);
      await ops.close();
    },
  };
}
