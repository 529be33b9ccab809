// Sharing list pages: callers of one scope asking for the same page within the freshness window share one read;
// another scope never gets a page read for someone else, and a failed read is not kept.
import { jest } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JetStreamClient } from '@vigil/messaging';
import type { Principal } from '../auth/principal.js';
import type { TransactionFilters, TransactionPageDto } from './transactions.dto.js';
import type { TransactionPage, TransactionRow, TransactionsRepository } from './transactions.repository.js';
import { TransactionsService } from './transactions.service.js';
import { TransactionListSettings } from './transactions.settings.js';

const principal = (overrides: Partial<Principal>): Principal => ({
  subject: 'someone',
  kind: 'user',
  role: 'analyst',
  regions: [],
  partnerId: null,
  scopes: null,
  ...overrides,
});
const analyst = principal({ subject: 'analyst' });
const otherAnalyst = principal({ subject: 'analyst-2' });
const analystNg = principal({ subject: 'analyst-ng', regions: ['NG'] });
const partnerA = principal({ subject: 'partner-a', role: 'partner', partnerId: 'partner-a' });
const partnerB = principal({ subject: 'partner-b', role: 'partner', partnerId: 'partner-b' });

const newRow = (overrides: Partial<TransactionRow> = {}): TransactionRow => ({
  transaction_id: 'tx-1',
  status: 'scored',
  score: 0.5,
  score_reasons: [],
  validation_status: 'valid',
  validation_reasons: [],
  region: 'NG',
  partner_id: null,
  received_at: '2026-01-01T09:00:00.000000Z',
  amount: '10.00',
  currency: 'NGN',
  type: 'PAYMENT',
  decision: 'approve',
  ...overrides,
});

const firstPage: TransactionFilters = { limit: 50 };

function serviceWith(freshnessMs: number) {
  const list = jest.fn<(filters: TransactionFilters, scope: unknown) => Promise<TransactionPage>>();
  list.mockImplementation((_filters, scope) =>
    Promise.resolve({ rows: [newRow({ partner_id: (scope as { partnerId: string | null }).partnerId })] }),
  );
  const repository = { list } as unknown as TransactionsRepository;
  const service = new TransactionsService(
    {} as JetStreamClient,
    repository,
    new TransactionListSettings(freshnessMs),
  );
  return { service, list };
}

/** The page as the list route sends it. */
async function listed(
  service: TransactionsService,
  principal: Principal,
  filters: TransactionFilters,
): Promise<TransactionPageDto> {
  const serialised = await service.listSerialised(principal, filters);
  return JSON.parse(serialised.body('identity').toString('utf8')) as TransactionPageDto;
}

describe('TransactionsService list pages', () => {
  it('answers callers of one scope asking for the same page within the window with one read', async () => {
    const { service, list } = serviceWith(60_000);
    const pages = await Promise.all([
      listed(service, analyst, firstPage),
      listed(service, otherAnalyst, firstPage),
    ]);
    await listed(service, analyst, firstPage);
    expect(list).toHaveBeenCalledTimes(1);
    expect(pages[1]).toEqual(pages[0]);
    // and one encoding: the callers are sent the same bytes
    expect(await service.listSerialised(otherAnalyst, firstPage)).toBe(
      await service.listSerialised(analyst, firstPage),
    );
  });

  it('never shares a page across partners or region scopes', async () => {
    const { service, list } = serviceWith(60_000);
    const a = await listed(service, partnerA, firstPage);
    const b = await listed(service, partnerB, firstPage);
    await listed(service, analyst, firstPage);
    await listed(service, analystNg, firstPage);
    expect(list).toHaveBeenCalledTimes(4);
    expect(list.mock.calls.map(([, scope]) => scope)).toEqual([
      { partnerId: 'partner-a', regions: null },
      { partnerId: 'partner-b', regions: null },
      { partnerId: null, regions: null },
      { partnerId: null, regions: ['NG'] },
    ]);
    expect(a.items[0]!.partner_id).toBe('partner-a');
    expect(b.items[0]!.partner_id).toBe('partner-b');
  });

  it('reads again for other filters, and once the window has passed', async () => {
    const { service, list } = serviceWith(30);
    await listed(service, analyst, firstPage);
    await listed(service, analyst, { limit: 50, region: 'NG' });
    expect(list).toHaveBeenCalledTimes(2);
    await sleep(60);
    await listed(service, analyst, firstPage);
    expect(list).toHaveBeenCalledTimes(3);
  });

  it('with no window, shares only a read in progress', async () => {
    const { service, list } = serviceWith(0);
    await Promise.all([listed(service, analyst, firstPage), listed(service, analyst, firstPage)]);
    await listed(service, analyst, firstPage);
    expect(list).toHaveBeenCalledTimes(2);
  });

  it('does not keep a failed read: the next caller reads again', async () => {
    const { service, list } = serviceWith(60_000);
    list.mockRejectedValueOnce(new Error('database busy'));
    await expect(listed(service, analyst, firstPage)).rejects.toThrow('database busy');
    await expect(listed(service, analyst, firstPage)).resolves.toMatchObject({
      items: [{ transaction_id: 'tx-1' }],
    });
    expect(list).toHaveBeenCalledTimes(2);
  });
});
