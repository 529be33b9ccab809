import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Requests, type ForecastsReply, type ForecastsRequest } from '@vigil/contracts';
import { NatsRequest } from '@vigil/messaging';
import { ForecastsService } from './forecasts.service.js';

@Controller()
export class ForecastsHandler {
  constructor(@Inject(ForecastsService) private readonly forecasts: ForecastsService) {}

  @NatsRequest(Requests.forecasts)
  forecast(@Payload() request: ForecastsRequest): Promise<ForecastsReply> {
    return this.forecasts.seriesFor(request);
  }
}
