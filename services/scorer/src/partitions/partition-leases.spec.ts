import { SCORING_PARTITIONS } from '@vigil/contracts';
import { preferredOwner } from './partition-leases.js';

const partitions = Array.from({ length: SCORING_PARTITIONS }, (_, p) => p);
const owners = (members: string[]) => partitions.map((p) => preferredOwner(members, p));

describe('preferredOwner', () => {
  it('gives every partition to exactly one member, whatever order the members are listed in', () => {
    expect(owners(['b', 'c', 'a'])).toEqual(owners(['a', 'b', 'c']));
    expect(owners(['a', 'b', 'c']).every((o) => ['a', 'b', 'c'].includes(o!))).toBe(true);
  });

  it('moves only the partitions of a member that leaves', () => {
    const before = owners(['scorer-0', 'scorer-1', 'scorer-2']);
    const after = owners(['scorer-0', 'scorer-2']);
    partitions.forEach((p) => {
      if (before[p] !== 'scorer-1') expect(after[p]).toBe(before[p]);
    });
  });

  it('has no owner without members', () => {
    expect(preferredOwner([], 0)).toBeUndefined();
  });
});
