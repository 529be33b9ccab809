// Handler declarations: a JetStream consumer or a request/reply endpoint, named from libs/contracts.
import { EventPattern, MessagePattern } from '@nestjs/microservices';
import type { ConsumerSpec, RequestSpec } from '@vigil/contracts';

export const CONSUMER_EXTRA = 'vigil:consumer';
export const REQUEST_EXTRA = 'vigil:request';

/** Handles every message of a durable consumer; the handler resolves once the message's effects are durable. */
export const JetStreamConsumer = <T>(spec: ConsumerSpec<T>) =>
  EventPattern<Record<string, T>>(spec.durable, { [CONSUMER_EXTRA]: spec });

/** Answers a core-NATS request; replicas share the load through the spec's queue group. */
export const NatsRequest = <Req, Rep>(spec: RequestSpec<Req, Rep>) =>
  MessagePattern(spec.subject, { [REQUEST_EXTRA]: spec });
