// Partner API keys "vgk_<key_id>_<secret>": shown once at creation, stored as sha256, scoped and revocable.
import {
  BadRequestException,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { ApiKeysRepository, type ApiKeyRow } from './api-keys.repository.js';
import { grantFor } from './grants.js';
import type { CreateApiKeyRequest } from './identity.dto.js';
import { API_KEY_PATTERN, API_KEY_PREFIX, matchesHash, newId, newSecret, sha256 } from './opaque-secrets.js';
import { may, type Principal } from './principal.js';
import { InvalidTokenError } from './token.service.js';

export interface ApiKeySummary {
  key_id: string;
  name: string;
  role: string;
  partner_id: string | null;
  regions: string[];
  scopes: string[];
  created_by: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

const summaryOf = (row: ApiKeyRow): ApiKeySummary => ({
  ...row,
  created_at: row.created_at.toISOString(),
  expires_at: row.expires_at?.toISOString() ?? null,
  revoked_at: row.revoked_at?.toISOString() ?? null,
});

@Injectable()
export class ApiKeysService {
  constructor(@Inject(ApiKeysRepository) private readonly keys: ApiKeysRepository) {}

  async create(
    creator: Principal,
    request: CreateApiKeyRequest,
  ): Promise<ApiKeySummary & { api_key: string }> {
    const grant = grantFor(creator, request);
    const expiresAt = request.expires_at ? new Date(request.expires_at) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now())
      throw new BadRequestException('expires_at is in the past');
    const keyId = newId();
    const apiKey = `${API_KEY_PREFIX}${keyId}_${newSecret()}`;
    const row = await this.keys.insert({
      keyId,
      keyHash: sha256(apiKey),
      name: request.name,
      ...grant,
      createdBy: `${creator.kind}:${creator.subject}`,
      expiresAt,
    });
    return { api_key: apiKey, ...summaryOf(row) };
  }

  async list(caller: Principal): Promise<{ items: ApiKeySummary[] }> {
    const rows = await this.keys.list(this.confinedTo(caller));
    return { items: rows.map(summaryOf) };
  }

  async revoke(caller: Principal, keyId: string): Promise<ApiKeySummary> {
    const row = await this.keys.revoke(keyId, this.confinedTo(caller));
    if (!row) throw new NotFoundException(`no API key ${keyId}`);
    return summaryOf(row);
  }

  /** The principal of a presented key; unknown, revoked and expired keys are refused alike. */
  async authenticate(presented: string): Promise<Principal> {
    const match = API_KEY_PATTERN.exec(presented);
    const row = match ? await this.keys.findLive(match[1]!) : undefined;
    if (!row || !matchesHash(presented, row.key_hash)) {
      throw new InvalidTokenError('API key is invalid, revoked or expired');
    }
    return {
      subject: row.key_id,
      kind: 'api_key',
      role: row.role,
      regions: row.regions,
      partnerId: row.partner_id,
      scopes: row.scopes,
    };
  }

  /** Admins see and revoke every key; a partner only its own. */
  private confinedTo(caller: Principal): string | null {
    if (may(caller, 'identity:manage')) return null;
    if (!caller.partnerId)
      throw new ForbiddenException(`${caller.role} ${caller.subject} has no API keys to manage`);
    return caller.partnerId;
  }
}
