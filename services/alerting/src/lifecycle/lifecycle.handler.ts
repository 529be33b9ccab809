import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  Requests,
  type AlertAcknowledgeRequest,
  type AlertGetReply,
  type AlertGetRequest,
  type AlertResolveRequest,
  type AlertView,
  type AlertsListReply,
  type AlertsListRequest,
} from '@vigil/contracts';
import { NatsRequest } from '@vigil/messaging';
import { LifecycleService } from './lifecycle.service.js';

@Controller()
export class LifecycleHandler {
  constructor(@Inject(LifecycleService) private readonly lifecycle: LifecycleService) {}

  @NatsRequest(Requests.alertsList)
  list(@Payload() request: AlertsListRequest): Promise<AlertsListReply> {
    return this.lifecycle.list(request);
  }

  @NatsRequest(Requests.alertGet)
  get(@Payload() request: AlertGetRequest): Promise<AlertGetReply> {
    return this.lifecycle.get(request.alert_id);
  }

  @NatsRequest(Requests.alertAcknowledge)
  acknowledge(@Payload() request: AlertAcknowledgeRequest): Promise<AlertView> {
    return this.lifecycle.acknowledge(request);
  }

  @NatsRequest(Requests.alertResolve)
  resolve(@Payload() request: AlertResolveRequest): Promise<AlertView> {
    return this.lifecycle.resolve(request);
  }
}
