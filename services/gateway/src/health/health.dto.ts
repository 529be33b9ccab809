import { ApiProperty } from '@nestjs/swagger';

export class HealthDto {
  @ApiProperty({ type: String, enum: ['ready', 'not ready'] })
  status!: 'ready' | 'not ready';

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: '"ok", or why the dependency is not ready',
    example: { nats: 'ok', postgres: 'ok', started: 'ok' },
  })
  checks!: Record<string, string>;
}
