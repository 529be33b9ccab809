import { BadRequestException } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { compile } from '@vigil/contracts';

export class TokenRequestDto {
  @ApiProperty({ type: String, example: 'analyst', maxLength: 128 })
  username!: string;

  @ApiProperty({ type: String, format: 'password', maxLength: 1024 })
  password!: string;
}

export class TokenResponseDto {
  @ApiProperty({
    type: String,
    description:
      'ES256 JWT (kid in its header, keys at /.well-known/jwks.json); send as "Authorization: Bearer <access_token>"',
  })
  access_token!: string;

  @ApiProperty({ type: String, enum: ['Bearer'] })
  token_type!: 'Bearer';

  @ApiProperty({ type: Number, description: 'Seconds until the token expires', example: 3600 })
  expires_in!: number;

  @ApiProperty({
    type: String,
    required: false,
    description:
      'Opaque, single use: trade it at POST /oauth/token (grant_type=refresh_token) for new tokens',
  })
  refresh_token?: string;

  @ApiProperty({ type: String, required: false, description: 'Granted permissions (client_credentials)' })
  scope?: string;
}

export interface TokenRequest {
  username: string;
  password: string;
}

const tokenRequestSchema = {
  type: 'object',
  required: ['username', 'password'],
  additionalProperties: false,
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 128 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
  },
} as const;
const isTokenRequest = compile<TokenRequest>(tokenRequestSchema);

export function parseTokenRequest(body: unknown): TokenRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException('request body must be a JSON object {"username": ..., "password": ...}');
  }
  if (!isTokenRequest(body)) {
    throw new BadRequestException(
      `invalid token request: ${isTokenRequest
        .reasons()
        .map((r) => r.message)
        .join('; ')}`,
    );
  }
  return body;
}
