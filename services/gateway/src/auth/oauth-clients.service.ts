// OAuth2 clients of the client_credentials grant: created by an admin, secret shown once, stored as sha256.
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { grantFor } from './grants.js';
import type { CreateOAuthClientRequest } from './identity.dto.js';
import { OAuthClientsRepository, type OAuthClientRow } from './oauth-clients.repository.js';
import { CLIENT_ID_PREFIX, matchesHash, newId, newSecret, sha256 } from './opaque-secrets.js';
import type { Principal } from './principal.js';
import { RevocationList } from './revocation-list.js';

export interface OAuthClientSummary {
  client_id: string;
  name: string;
  role: string;
  partner_id: string | null;
  scopes: string[];
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}

const summaryOf = (row: OAuthClientRow): OAuthClientSummary => ({
  ...row,
  created_at: row.created_at.toISOString(),
  revoked_at: row.revoked_at?.toISOString() ?? null,
});

@Injectable()
export class OAuthClientsService {
  constructor(
    @Inject(OAuthClientsRepository) private readonly clients: OAuthClientsRepository,
    @Inject(RevocationList) private readonly revocations: RevocationList,
  ) {}

  async create(
    creator: Principal,
    request: CreateOAuthClientRequest,
  ): Promise<OAuthClientSummary & { client_secret: string }> {
    const grant = grantFor(creator, request);
    const clientSecret = newSecret();
    const row = await this.clients.insert({
      clientId: `${CLIENT_ID_PREFIX}${newId()}`,
      secretHash: sha256(clientSecret),
      name: request.name,
      role: grant.role,
      partnerId: grant.partnerId,
      scopes: grant.scopes,
      createdBy: `${creator.kind}:${creator.subject}`,
    });
    return { client_secret: clientSecret, ...summaryOf(row) };
  }

  async list(): Promise<{ items: OAuthClientSummary[] }> {
    return { items: (await this.clients.list()).map(summaryOf) };
  }

  async revoke(clientId: string): Promise<OAuthClientSummary> {
    const row = await this.clients.revoke(clientId);
    if (!row) throw new NotFoundException(`no OAuth client ${clientId}`);
    // its access tokens are refused from now on (other replicas: within a minute), not when they expire
    this.revocations.revokedClient(clientId);
    return summaryOf(row);
  }

  /** The client, if the id names a live client and the secret is its secret. */
  async authenticate(clientId: string, clientSecret: string): Promise<OAuthClientRow | undefined> {
    const row = await this.clients.findLive(clientId);
    return row && matchesHash(clientSecret, row.secret_hash) ? row : undefined;
  }
}
