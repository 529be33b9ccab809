import fc from 'fast-check';
import { forbiddenRangeOf, resolveDestination } from './webhook-destination.js';

const hostOf = (url: string) => new URL(url).hostname;

describe('forbiddenRangeOf', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.10', 'private'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.100.100.200', 'shared (CGNAT)'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['224.0.0.251', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'IPv4-embedding'],
    ['::7f00:1', 'IPv4-embedding'],
  ])('refuses %s as %s', (address, range) => {
    expect(forbiddenRangeOf(address)).toBe(range);
  });

  it('judges the forms a URL parser turns into an IPv4 address as that address', () => {
    for (const url of ['http://0x7f000001/', 'http://2130706433/', 'http://127.1/', 'http://0177.0.0.1/'])
      expect(forbiddenRangeOf(hostOf(url))).toBe('loopback');
    expect(forbiddenRangeOf(hostOf('http://[::ffff:169.254.169.254]/'))).toBe('link-local');
    expect(forbiddenRangeOf(hostOf('http://0xa9fea9fe/'))).toBe('link-local');
  });

  it('lets public addresses through', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '172.32.0.1'])
      expect(forbiddenRangeOf(address)).toBeNull();
  });

  it('gives an IPv4 address and its IPv4-mapped IPv6 form the same verdict', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
        const hex = `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        expect(forbiddenRangeOf(`::ffff:${ip}`)).toBe(forbiddenRangeOf(ip));
        expect(forbiddenRangeOf(hex)).toBe(forbiddenRangeOf(ip));
      }),
    );
  });
});

describe('resolveDestination', () => {
  it('refuses a name that resolves to loopback, and allows it when private networks are allowed', async () => {
    await expect(resolveDestination('localhost', { allowPrivateNetworks: false })).rejects.toThrow(
      /localhost resolves to .*loopback address/,
    );
    await expect(resolveDestination('localhost', { allowPrivateNetworks: true })).resolves.not.toHaveLength(
      0,
    );
    await expect(resolveDestination('[::1]', { allowPrivateNetworks: false })).rejects.toThrow(
      /^::1, a loopback address/,
    );
  });
});
