import { BaseRpcContext } from '@nestjs/microservices';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { Turn } from './turnstile.js';

export interface JetStreamMessageInfo {
  subject: string;
  stream: string;
  streamSequence: number;
  deliveryCount: number;
  headers: MsgHdrs | undefined;
  correlationId: string | undefined;
  /** The message's place in its consumer's order, for output that must keep it (`turn.inOrder`). */
  turn?: Turn;
}

/** What a handler may want to know about the message it is handling, beyond its payload. */
export class JetStreamContext extends BaseRpcContext<[JetStreamMessageInfo]> {
  get info(): JetStreamMessageInfo {
    return this.getArgs()[0];
  }
}
