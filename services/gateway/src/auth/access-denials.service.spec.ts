import type {
  AccessDenial,
  AccessDenialWindow,
  AccessDenialsRepository,
} from './access-denials.repository.js';
import { AccessDenialsService, OVERFLOW_REASON } from './access-denials.service.js';

const denial = (fields: Partial<AccessDenial> = {}): AccessDenial => ({
  subject: null,
  kind: null,
  role: null,
  method: 'GET',
  path: '/v1/transactions/:id',
  permission: 'transactions:read',
  status: 401,
  reason: 'access token is invalid',
  remote_address: '203.0.113.7',
  request_id: null,
  ...fields,
});

function serviceWithWrites() {
  const writes: AccessDenialWindow[][] = [];
  const repository = {
    addWindows: (windows: AccessDenialWindow[]) => {
      writes.push(windows.map((w) => ({ ...w })));
      return Promise.resolve();
    },
  } as unknown as AccessDenialsRepository;
  const service = new AccessDenialsService(repository, {
    warn: () => undefined,
    error: () => undefined,
  } as never);
  return { service, writes };
}

describe('AccessDenialsService', () => {
  it('folds 10,000 refusals of one kind in one minute into one window with their count and times', async () => {
    const { service, writes } = serviceWithWrites();
    const start = Date.parse('2026-03-01T10:15:00.000Z');
    for (let i = 0; i < 10_000; i++)
      service.record(denial({ request_id: `r-${i}` }), new Date(start + 5000 + i));
    await service.onModuleDestroy();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toEqual([
      expect.objectContaining({
        window_start: new Date(start),
        count: 10_000,
        first_seen: new Date(start + 5000),
        last_seen: new Date(start + 5000 + 9999),
        request_id: 'r-9999',
      }),
    ]);
  });

  it('keeps minutes, principals, addresses and reasons apart', async () => {
    const { service, writes } = serviceWithWrites();
    const at = new Date('2026-03-01T10:15:59.000Z');
    service.record(denial(), at);
    service.record(denial(), new Date('2026-03-01T10:16:00.000Z'));
    service.record(denial({ remote_address: '198.51.100.1' }), at);
    service.record(denial({ subject: 'sre', kind: 'user', role: 'sre', status: 403, reason: 'lacks' }), at);
    await service.flush();
    expect(writes[0]!.map((w) => w.count)).toEqual([1, 1, 1, 1]);
    await service.onModuleDestroy();
    expect(writes).toHaveLength(1);
  });

  it('holds a bounded number of windows between writes', async () => {
    const { service, writes } = serviceWithWrites();
    const at = new Date('2026-03-01T10:15:00.000Z');
    for (let i = 0; i < 5000; i++)
      service.record(denial({ remote_address: `10.0.${i >> 8}.${i & 255}` }), at);
    await service.onModuleDestroy();
    const written = writes.flat();
    expect(Math.max(...writes.map((w) => w.length))).toBeLessThanOrEqual(2001);
    // every refusal is counted once: in its own window, or in the minute's overflow window
    expect(written.reduce((sum, w) => sum + w.count, 0)).toBe(5000);
    expect(written.filter((w) => w.reason === OVERFLOW_REASON)).toEqual([
      expect.objectContaining({ count: 1000, path: '*', remote_address: null }),
    ]);
  });
});
