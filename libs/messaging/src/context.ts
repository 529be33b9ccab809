import { BaseRpcContext } from '@nestjs/microservices';
import type { MsgHdrs } from '@nats-io/transport-node';

export interface JetStreamMessageInfo {
  subject: string;
  stream: string;
  streamSequence: number;
  deliveryCount: number;
  headers: MsgHdrs | undefined;
  correlationId: string | undefined;
}

/** What a handler may want to know about the message it is handling, beyond its payload. */
export class JetStreamContext extends BaseRpcContext<[JetStreamMessageInfo]> {
  get info(): JetStreamMessageInfo {
    return this.getArgs()[0];
  }
}
