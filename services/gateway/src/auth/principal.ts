// Who is calling, as proven by their access token, and what that lets them read.
export const ROLES = ['admin', 'analyst', 'partner'] as const;
export type Role = (typeof ROLES)[number];

/** The username the token was issued to, and the role with what scopes it. */
export type Principal =
  | { subject: string; role: 'admin' }
  /** `regions` empty means every region. */
  | { subject: string; role: 'analyst'; regions: string[] }
  /** A partner submits and reads the transactions of its own partner id only. */
  | { subject: string; role: 'partner'; partnerId: string };

/** Row-level scope of a principal's reads, ready to be query parameters (null = unrestricted). */
export interface ReadScope {
  partnerId: string | null;
  regions: string[] | null;
}

export function readScopeOf(principal: Principal): ReadScope {
  switch (principal.role) {
    case 'admin':
      return { partnerId: null, regions: null };
    case 'analyst':
      return { partnerId: null, regions: principal.regions.length > 0 ? principal.regions : null };
    case 'partner':
      return { partnerId: principal.partnerId, regions: null };
  }
}
