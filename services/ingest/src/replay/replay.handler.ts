import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Requests, type IngestReplayReply, type IngestReplayRequest } from '@vigil/contracts';
import { NatsRequest, TransientError } from '@vigil/messaging';
import { ReplayService } from './replay.service.js';

/** The gateway's way to send quarantined records through again. */
@Controller()
export class ReplayHandler {
  constructor(@Inject(ReplayService) private readonly replays: ReplayService) {}

  @NatsRequest(Requests.ingestReplay)
  async onReplay(@Payload() request: IngestReplayRequest): Promise<IngestReplayReply> {
    try {
      return await this.replays.replay(request);
    } catch (error) {
      throw new TransientError(`replay not published, retry later: ${(error as Error).message}`);
    }
  }
}
