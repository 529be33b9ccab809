import type { Principal } from '../auth/principal.js';
import { visibleTo, type FeedEvent } from './feed.service.js';

const principal = (overrides: Partial<Principal>): Principal => ({
  subject: 'someone',
  kind: 'user',
  role: 'analyst',
  regions: [],
  partnerId: null,
  scopes: null,
  ...overrides,
});
const scored = (partnerId: string, region: string): FeedEvent => ({
  name: 'transaction.scored',
  id: 't-1',
  partnerId,
  region,
  data: {},
});
const alert = (region: string | null): FeedEvent => ({
  name: 'alert.raised',
  id: 'a-1',
  partnerId: null,
  region,
  data: {},
});

describe('visibleTo', () => {
  it("shows a partner its own transactions and no one else's, and no alerts", () => {
    const partner = principal({ role: 'partner', partnerId: 'p-a' });
    expect(visibleTo(partner, scored('p-a', 'NG'))).toBe(true);
    expect(visibleTo(partner, scored('p-b', 'NG'))).toBe(false);
    expect(visibleTo(partner, alert('NG'))).toBe(false);
  });

  it('confines a regional analyst to its regions', () => {
    const analyst = principal({ regions: ['KE'] });
    expect(visibleTo(analyst, scored('p-a', 'KE'))).toBe(true);
    expect(visibleTo(analyst, scored('p-a', 'NG'))).toBe(false);
    expect(visibleTo(analyst, alert('KE'))).toBe(true);
    expect(visibleTo(analyst, alert(null))).toBe(false);
    expect(visibleTo(principal({}), alert(null))).toBe(true);
  });

  it('shows alerts only with alerts:read', () => {
    expect(visibleTo(principal({ scopes: ['feed:read'] }), alert('NG'))).toBe(false);
  });

  it('shows scored transactions only with transactions:read: sre gets alerts and no transactions', () => {
    const sre = principal({ role: 'sre' });
    expect(visibleTo(sre, scored('p-a', 'NG'))).toBe(false);
    expect(visibleTo(sre, alert('NG'))).toBe(true);
    expect(visibleTo(principal({ scopes: ['feed:read'] }), scored('p-a', 'NG'))).toBe(false);
  });
});
