// The scorer's label store: each label.recorded event, checked at the message boundary, is stored with who and when.
import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Consumers, type LabelRecorded } from '@vigil/contracts';
import { JetStreamConsumer, JetStreamContext } from '@vigil/messaging';
import { LabelsService } from './labels.service.js';

@Controller()
export class LabelsHandler {
  constructor(@Inject(LabelsService) private readonly labels: LabelsService) {}

  @JetStreamConsumer(Consumers.scorerLabels)
  async onLabel(@Payload() label: LabelRecorded, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.labels.record(label, ctx.info.streamSequence);
  }
}
