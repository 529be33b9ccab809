import { GENESIS_HASH, chain, rowHash } from './audit-chain.js';

describe('the audit hash chain', () => {
  const entries = [
    { kind: 'validation' as const, subject: 't-1', payload: { status: 'valid' } },
    {
      kind: 'validation' as const,
      subject: 't-2',
      payload: { status: 'quarantined', reasons: ['range.amount'] },
    },
  ];

  it('links each row to the one before, from the genesis hash', () => {
    const rows = chain(entries, 0, GENESIS_HASH, '2026-01-01T00:00:00.000Z');
    expect(rows.map((r) => r.seq)).toEqual([1, 2]);
    expect(rows[0]!.prevHash).toBe(GENESIS_HASH);
    expect(rows[1]!.prevHash).toBe(rows[0]!.hash);
    for (const row of rows) expect(rowHash(row)).toBe(row.hash);
  });

  it('changes the hash when any column changes', () => {
    const [row] = chain(entries, 41, 'f'.repeat(64), '2026-01-01T00:00:00.000Z');
    const altered = [
      { ...row!, seq: 43 },
      { ...row!, at: '2026-01-01T00:00:00.001Z' },
      { ...row!, kind: 'replay' },
      { ...row!, subject: 't-x' },
      { ...row!, payload: row!.payload.replace('valid', 'VALID') },
      { ...row!, prevHash: 'e'.repeat(64) },
    ];
    for (const changed of altered) expect(rowHash(changed)).not.toBe(row!.hash);
  });
});
