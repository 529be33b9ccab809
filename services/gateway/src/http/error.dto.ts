import { ApiProperty } from '@nestjs/swagger';

/** The body of every error response. */
export class ErrorDto {
  @ApiProperty({ type: Number, example: 400 })
  statusCode!: number;

  @ApiProperty({ type: String, example: 'Bad Request' })
  error!: string;

  @ApiProperty({ type: String, example: 'limit must be an integer from 1 to 500' })
  message!: string;
}
