// Request bodies and queries of the identity routes (API keys, OAuth clients, audit), validated at the boundary.
import { BadRequestException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { compile, type Validator } from '@vigil/contracts';
import { PERMISSIONS, ROLES, type Permission, type Role } from './principal.js';

const PARTNER_ID = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' } as const;
const REGIONS = {
  type: 'array',
  maxItems: 50,
  uniqueItems: true,
  items: { type: 'string', pattern: '^[A-Z]{2}$' },
} as const;
const SCOPES = { type: 'array', minItems: 1, uniqueItems: true, items: { enum: PERMISSIONS } } as const;

function parser<T>(validate: Validator<T>, what: string): (body: unknown) => T {
  return (body) => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new BadRequestException(`${what} must be a JSON object`);
    }
    if (!validate(body)) {
      throw new BadRequestException(
        `invalid ${what}: ${validate
          .reasons()
          .map((r) => r.message)
          .join('; ')}`,
      );
    }
    return body;
  };
}

export interface CreateApiKeyRequest {
  name: string;
  scopes: Permission[];
  /** Admins only: the partner the key acts for, or a staff role for an internal key. */
  partner_id?: string;
  role?: Role;
  regions?: string[];
  expires_at?: string;
}

export const parseCreateApiKey = parser<CreateApiKeyRequest>(
  compile({
    type: 'object',
    required: ['name', 'scopes'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 128 },
      scopes: SCOPES,
      partner_id: PARTNER_ID,
      role: { enum: ROLES },
      regions: REGIONS,
      expires_at: { type: 'string', format: 'date-time' },
    },
  }),
  'API key request',
);

export class CreateApiKeyDto {
  @ApiProperty({ example: 'settlement batch uploader', maxLength: 128 })
  name!: string;
  @ApiProperty({ type: [String], enum: PERMISSIONS, example: ['transactions:submit', 'transactions:read'] })
  scopes!: Permission[];
  @ApiPropertyOptional({
    description: 'Admins: the partner the key acts for (a partner always gets its own)',
  })
  partner_id?: string;
  @ApiPropertyOptional({
    enum: ROLES,
    description: 'Admins: a staff role for an internal key (default partner)',
  })
  role?: Role;
  @ApiPropertyOptional({ type: [String], example: ['NG'] })
  regions?: string[];
  @ApiPropertyOptional({ format: 'date-time' })
  expires_at?: string;
}

export interface CreateOAuthClientRequest {
  name: string;
  scopes: Permission[];
  partner_id?: string;
  role?: Role;
}

export const parseCreateOAuthClient = parser<CreateOAuthClientRequest>(
  compile({
    type: 'object',
    required: ['name', 'scopes'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 128 },
      scopes: SCOPES,
      partner_id: PARTNER_ID,
      role: { enum: ROLES },
    },
  }),
  'OAuth client request',
);

export class CreateOAuthClientDto {
  @ApiProperty({ example: 'partner-a settlement system' })
  name!: string;
  @ApiProperty({ type: [String], enum: PERMISSIONS })
  scopes!: Permission[];
  @ApiPropertyOptional()
  partner_id?: string;
  @ApiPropertyOptional({ enum: ROLES })
  role?: Role;
}

export interface AccessDenialsQuery {
  limit: number;
  before?: string;
}

export function parseAccessDenialsQuery(query: unknown): AccessDenialsQuery {
  const { limit = '100', before } = (query ?? {}) as Record<string, unknown>;
  if (typeof limit !== 'string' || !/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) {
    throw new BadRequestException('limit must be an integer from 1 to 1000');
  }
  if (before !== undefined && (typeof before !== 'string' || !/^\d{1,18}$/.test(before))) {
    throw new BadRequestException('before must be the id of a denial');
  }
  return { limit: Number(limit), ...(before ? { before } : {}) };
}

/** The fields of an OAuth2 token request (RFC 6749 §4.3, §4.4, §6), JSON or form-encoded. */
export interface OAuthTokenRequest {
  grant_type: 'password' | 'refresh_token' | 'client_credentials';
  username?: string;
  password?: string;
  refresh_token?: string;
  scope?: string;
  client_id?: string;
  client_secret?: string;
}

export const isOAuthTokenRequest = compile<OAuthTokenRequest>({
  type: 'object',
  required: ['grant_type'],
  properties: {
    grant_type: { type: 'string', minLength: 1, maxLength: 64 },
    username: { type: 'string', minLength: 1, maxLength: 128 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    refresh_token: { type: 'string', minLength: 1, maxLength: 256 },
    scope: { type: 'string', maxLength: 2048 },
    client_id: { type: 'string', minLength: 1, maxLength: 128 },
    client_secret: { type: 'string', minLength: 1, maxLength: 256 },
  },
});

export class OAuthTokenRequestDto {
  @ApiProperty({ enum: ['password', 'refresh_token', 'client_credentials'] })
  grant_type!: string;
  @ApiPropertyOptional()
  username?: string;
  @ApiPropertyOptional({ format: 'password' })
  password?: string;
  @ApiPropertyOptional()
  refresh_token?: string;
  @ApiPropertyOptional({ description: 'Space-separated permissions, a subset of the client’s' })
  scope?: string;
  @ApiPropertyOptional({ description: 'Or HTTP Basic authentication' })
  client_id?: string;
  @ApiPropertyOptional({ format: 'password' })
  client_secret?: string;
}
