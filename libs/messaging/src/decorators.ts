// Handler declarations: a JetStream consumer or a request/reply endpoint, named from libs/contracts.
import { UseFilters, applyDecorators } from '@nestjs/common';
import { EventPattern, MessagePattern } from '@nestjs/microservices';
import type { ConsumerSpec, RequestSpec } from '@vigil/contracts';
import { RpcErrorPassthroughFilter } from './errors.js';

export const CONSUMER_EXTRA = 'vigil:consumer';
export const REQUEST_EXTRA = 'vigil:request';

/** Handles every message of a durable consumer; the handler resolves once the message's effects are durable. */
export function JetStreamConsumer<T>(spec: ConsumerSpec<T>): TypedHandlerDecorator<T> {
  const pattern = EventPattern<Record<string, T>>(spec.durable, { [CONSUMER_EXTRA]: spec });
  const filters = UseFilters(RpcErrorPassthroughFilter);
  return (target, key, descriptor) => {
    pattern(target, key, descriptor);
    filters(target, key, descriptor);
  };
}

/** A method decorator that also checks the handler's payload type against the consumer's event. */
type TypedHandlerDecorator<T> = (
  target: object,
  key: string | symbol,
  // `any` as Nest's own EventPattern types it: the descriptor's setter makes the signature invariant, so
  // `unknown` extra parameters would reject a handler that also takes `@Ctx() ctx: JetStreamContext`
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  descriptor: TypedPropertyDescriptor<(data: T, ...args: any[]) => any>,
) => void;

/** Answers a core-NATS request; replicas share the load through the spec's queue group. */
export const NatsRequest = <Req, Rep>(spec: RequestSpec<Req, Rep>) =>
  applyDecorators(
    MessagePattern(spec.subject, { [REQUEST_EXTRA]: spec }),
    UseFilters(RpcErrorPassthroughFilter),
  );
