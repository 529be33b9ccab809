// What a new API key or OAuth client may be given: never more than its role grants, nor more than its creator holds.
import { BadRequestException, ForbiddenException } from '@nestjs/common';
import {
  ROLE_PERMISSIONS,
  may,
  permissionsOf,
  type Permission,
  type Principal,
  type Role,
} from './principal.js';

export interface Grant {
  role: Role;
  partnerId: string | null;
  regions: string[];
  scopes: Permission[];
}

export interface GrantRequest {
  role?: Role;
  partner_id?: string;
  regions?: string[];
  scopes: Permission[];
}

export function grantFor(creator: Principal, request: GrantRequest): Grant {
  let role: Role;
  let partnerId: string | null;
  if (may(creator, 'identity:manage')) {
    role = request.role ?? 'partner';
    partnerId = request.partner_id ?? null;
    if ((role === 'partner') !== (partnerId !== null)) {
      throw new BadRequestException('a partner credential needs partner_id; a staff role must not have one');
    }
  } else {
    // anyone else (a partner) issues credentials for itself only
    if (creator.role !== 'partner' || !creator.partnerId) {
      throw new ForbiddenException(`${creator.role} ${creator.subject} may not create credentials`);
    }
    if (
      (request.role !== undefined && request.role !== 'partner') ||
      (request.partner_id !== undefined && request.partner_id !== creator.partnerId) ||
      (request.regions?.length ?? 0) > 0
    ) {
      throw new ForbiddenException(
        `a partner creates credentials for its own partner id (${creator.partnerId}) only`,
      );
    }
    role = 'partner';
    partnerId = creator.partnerId;
  }
  const outsideRole = request.scopes.filter((scope) => !ROLE_PERMISSIONS[role].includes(scope));
  if (outsideRole.length > 0) {
    throw new BadRequestException(`role ${role} does not grant ${outsideRole.join(', ')}`);
  }
  const held = permissionsOf(creator);
  const beyondCreator = request.scopes.filter((scope) => !held.includes(scope));
  if (beyondCreator.length > 0) {
    throw new ForbiddenException(`cannot grant permissions you do not hold: ${beyondCreator.join(', ')}`);
  }
  return {
    role,
    partnerId,
    regions: role === 'partner' ? [] : (request.regions ?? []),
    scopes: request.scopes,
  };
}
