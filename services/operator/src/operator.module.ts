// The operator's Nest module: what the controllers need, built once, and leadership tied to the application's
// life (campaigning starts at bootstrap; at shutdown the leader stops reconciling and releases its lease).
import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { NatsClient } from '@vigil/messaging';
import { OpsServer, type Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import type { OperatorEnv } from './config.js';
import type { DocumentCompilers } from './documents/document-compilers.js';
import { Kubernetes } from './kubernetes/kubernetes.js';
import { LeaderElector } from './leader/leader-election.js';
import { Operator } from './operator.js';

export interface OperatorDependencies {
  env: OperatorEnv;
  identity: string;
  nats: NatsClient;
  kube: Kubernetes;
  ops: OpsServer;
  logger: Logger;
  compilers: DocumentCompilers;
  now?: () => Date;
}

@Injectable()
export class Leadership implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(LeaderElector) private readonly elector: LeaderElector,
    @Inject(Operator) private readonly operator: Operator,
  ) {}

  onApplicationBootstrap(): void {
    this.elector.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.elector.stop();
    await this.operator.stop();
  }
}

@Module({})
export class OperatorModule {
  static register(deps: OperatorDependencies): DynamicModule {
    const { env } = deps;
    return {
      module: OperatorModule,
      providers: [
        { provide: LOGGER, useValue: deps.logger },
        { provide: NatsClient, useValue: deps.nats },
        { provide: Kubernetes, useValue: deps.kube },
        { provide: OpsServer, useValue: deps.ops },
        {
          provide: Operator,
          useFactory: () =>
            new Operator({
              kube: deps.kube,
              nats: deps.nats,
              compilers: deps.compilers,
              peakTargets: { validator: env.VALIDATOR_HPA, scorer: env.SCORER_HPA },
              logger: deps.logger,
              registry: deps.ops.registry,
              resyncIntervalMs: env.RESYNC_INTERVAL_MS,
              ...(deps.now ? { now: deps.now } : {}),
            }),
        },
        {
          provide: LeaderElector,
          inject: [Operator],
          useFactory: (operator: Operator) =>
            new LeaderElector(
              deps.kube,
              {
                leaseName: env.LEASE_NAME,
                identity: deps.identity,
                leaseDurationMs: env.LEASE_DURATION_MS,
                renewDeadlineMs: env.RENEW_DEADLINE_MS,
                retryPeriodMs: env.RETRY_PERIOD_MS,
              },
              { onStartedLeading: () => operator.start(), onStoppedLeading: () => operator.stop() },
              deps.logger,
            ),
        },
        Leadership,
      ],
    };
  }
}
