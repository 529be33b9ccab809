// The time every alerting decision uses; tests replace it to run escalations and forecasts on a schedule of their own.
import { Injectable } from '@nestjs/common';

@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
