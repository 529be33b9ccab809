import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  Requests,
  type Silence,
  type SilenceCreateRequest,
  type SilenceExpireRequest,
  type SilencesListReply,
  type SilencesListRequest,
} from '@vigil/contracts';
import { NatsRequest } from '@vigil/messaging';
import { SilencesService } from './silences.service.js';

@Controller()
export class SilencesHandler {
  constructor(@Inject(SilencesService) private readonly silences: SilencesService) {}

  @NatsRequest(Requests.silenceCreate)
  create(@Payload() request: SilenceCreateRequest): Promise<Silence> {
    return this.silences.create(request);
  }

  @NatsRequest(Requests.silenceExpire)
  expire(@Payload() request: SilenceExpireRequest): Promise<Silence> {
    return this.silences.expire(request);
  }

  @NatsRequest(Requests.silencesList)
  list(@Payload() request: SilencesListRequest): Promise<SilencesListReply> {
    return this.silences.list(request.include_expired ?? false);
  }
}
