// Who is calling, what their role lets them do, and which rows they may see.
export const ROLES = ['admin', 'analyst', 'fraud_ops', 'sre', 'auditor', 'partner'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'transactions:submit',
  'transactions:read',
  'transactions:export',
  'alerts:read',
  'alerts:act',
  'quarantine:read',
  'quarantine:replay',
  'data_quality:read',
  'forecasts:read',
  'summary:read',
  'feed:read',
  'health:read',
  'webhooks:manage',
  'audit:read',
  'identity:manage',
  /** Create, list and revoke API keys: an admin any key, a partner its own. */
  'api_keys:manage',
  /** Count accepted transactions through every stage and name the missing ones (read only). */
  'reconciliation:read',
  /** Label transactions as fraud or legitimate: staff within their regions, a partner its own (chargebacks). */
  'labels:write',
  /** Compare the shadow model with the active one on the scores both gave (read only, staff in their regions). */
  'models:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ_ALL: Permission[] = [
  'transactions:read',
  'transactions:export',
  'alerts:read',
  'quarantine:read',
  'data_quality:read',
  'forecasts:read',
  'summary:read',
  'feed:read',
  'health:read',
  'models:read',
];

/** What each role may do; scoping (regions, partner) narrows the rows, never widens the verbs. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: PERMISSIONS,
  analyst: [...READ_ALL, 'alerts:act', 'quarantine:replay', 'labels:write'],
  fraud_ops: [...READ_ALL, 'alerts:act', 'quarantine:replay', 'labels:write'],
  sre: [
    'alerts:read',
    'alerts:act',
    'data_quality:read',
    'summary:read',
    'feed:read',
    'health:read',
    'reconciliation:read',
  ],
  auditor: [...READ_ALL, 'audit:read'],
  partner: [
    'transactions:submit',
    'transactions:read',
    'transactions:export',
    'quarantine:read',
    'quarantine:replay',
    'summary:read',
    'feed:read',
    'webhooks:manage',
    'api_keys:manage',
    'labels:write',
  ],
};

/** How the caller proved who they are. */
export type PrincipalKind = 'user' | 'api_key' | 'client' | 'oidc';

export interface Principal {
  /** Username, API key id, OAuth client id or the external subject. */
  subject: string;
  kind: PrincipalKind;
  role: Role;
  /** Regions whose rows this principal may read; empty means every region. */
  regions: readonly string[];
  /** A partner's own partner id: every read and write is confined to it. Null for staff roles. */
  partnerId: string | null;
  /** Narrower grant than the role (API keys, client credentials); null means the role's permissions. */
  scopes: readonly Permission[] | null;
}

export const isRole = (value: unknown): value is Role => (ROLES as readonly unknown[]).includes(value);
export const isPermission = (value: unknown): value is Permission =>
  (PERMISSIONS as readonly unknown[]).includes(value);

/** The role's permissions, cut down to the principal's scopes when it has any. */
export function permissionsOf(principal: Principal): Permission[] {
  const granted = ROLE_PERMISSIONS[principal.role];
  return principal.scopes ? granted.filter((p) => principal.scopes!.includes(p)) : [...granted];
}

export const may = (principal: Principal, permission: Permission): boolean =>
  ROLE_PERMISSIONS[principal.role].includes(permission) &&
  (principal.scopes === null || principal.scopes.includes(permission));

/** Row-level scope of a principal's reads, ready to be query parameters (null = unrestricted). */
export interface ReadScope {
  partnerId: string | null;
  regions: string[] | null;
}

export function readScopeOf(principal: Principal): ReadScope {
  if (principal.role === 'partner') {
    // a partner principal without a partner id would read everything: refuse to build such a scope
    if (!principal.partnerId) throw new Error(`partner principal ${principal.subject} has no partner id`);
    return { partnerId: principal.partnerId, regions: null };
  }
  if (principal.role === 'admin') return { partnerId: null, regions: null };
  return { partnerId: null, regions: principal.regions.length > 0 ? [...principal.regions] : null };
}

/** Why a principal may not read the region it asked for; null when it may. */
export function regionRefusal(principal: Principal, region: string | undefined): string | null {
  const { regions } = readScopeOf(principal);
  if (region === undefined || regions === null || regions.includes(region)) return null;
  return `region ${region} is outside the regions ${principal.subject} may read (${regions.join(', ')})`;
}
