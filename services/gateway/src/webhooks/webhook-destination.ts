// Where a partner webhook may be delivered: only to public internet addresses, never to this host, the
// cluster's private networks or a cloud metadata service (server-side request forgery). A host name is judged
// by every address it resolves to, at registration and again at each delivery, whose connection then goes to
// the very address that was judged, so a name that resolves differently the second time (DNS rebinding)
// reaches nothing it was not allowed to.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Address ranges no webhook may reach, each with the name given in the refusal. */
const FORBIDDEN: readonly (readonly [string, readonly (readonly [string, number, 'ipv4' | 'ipv6'])[]])[] = [
  [
    'unspecified',
    [
      ['0.0.0.0', 8, 'ipv4'],
      ['::', 128, 'ipv6'],
    ],
  ],
  [
    'loopback',
    [
      ['127.0.0.0', 8, 'ipv4'],
      ['::1', 128, 'ipv6'],
    ],
  ],
  [
    'private',
    [
      ['10.0.0.0', 8, 'ipv4'],
      ['172.16.0.0', 12, 'ipv4'],
      ['192.168.0.0', 16, 'ipv4'],
    ],
  ],
  // 100.100.100.200, Alibaba Cloud's metadata service, is in here too
  ['shared (CGNAT)', [['100.64.0.0', 10, 'ipv4']]],
  // 169.254.169.254: the metadata service of AWS, GCP, Azure and others
  [
    'link-local',
    [
      ['169.254.0.0', 16, 'ipv4'],
      ['fe80::', 10, 'ipv6'],
    ],
  ],
  // fd00:ec2::254: the IPv6 metadata service of AWS
  [
    'unique-local',
    [
      ['fc00::', 7, 'ipv6'],
      ['fec0::', 10, 'ipv6'],
    ],
  ],
  [
    'multicast',
    [
      ['224.0.0.0', 4, 'ipv4'],
      ['ff00::', 8, 'ipv6'],
    ],
  ],
  [
    'reserved',
    [
      ['192.0.0.0', 24, 'ipv4'],
      ['192.0.2.0', 24, 'ipv4'],
      ['198.18.0.0', 15, 'ipv4'],
      ['198.51.100.0', 24, 'ipv4'],
      ['203.0.113.0', 24, 'ipv4'],
      ['240.0.0.0', 4, 'ipv4'],
      ['100::', 64, 'ipv6'],
      ['2001:db8::', 32, 'ipv6'],
    ],
  ],
  // IPv6 forms that carry an IPv4 address a gateway would reach: IPv4-compatible, NAT64, 6to4 and Teredo
  [
    'IPv4-embedding',
    [
      ['::', 96, 'ipv6'],
      ['64:ff9b::', 96, 'ipv6'],
      ['64:ff9b:1::', 48, 'ipv6'],
      ['2002::', 16, 'ipv6'],
      ['2001::', 32, 'ipv6'],
    ],
  ],
];

const RANGES = FORBIDDEN.map(([name, subnets]) => {
  const list = new BlockList();
  for (const [network, prefix, family] of subnets) list.addSubnet(network, prefix, family);
  return [name, list] as const;
});

const IPV4_MAPPED = /^::ffff:(?:0:)?(\d+\.\d+\.\d+\.\d+)$/i;

/** The kind of forbidden range an IP address is in (IPv4-mapped IPv6 judged as its IPv4), or null if public. */
export function forbiddenRangeOf(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 0) return 'not an IP address';
  const mapped = family === 6 ? IPV4_MAPPED.exec(normalisedMapped(bare)) : null;
  const ip = mapped ? mapped[1]! : bare;
  const type = mapped || family === 4 ? 'ipv4' : 'ipv6';
  for (const [name, list] of RANGES) if (list.check(ip, type)) return name;
  // ::ffff:a.b.c.d written in hex (::ffff:7f00:1): BlockList applies IPv4 rules to it as well
  if (type === 'ipv6') for (const [name, list] of RANGES) if (list.check(bare, 'ipv6')) return name;
  return null;
}

/** ::ffff:7f00:1 written as ::ffff:127.0.0.1, so the mapped IPv4 address can be read off. */
function normalisedMapped(ipv6: string): string {
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ipv6);
  if (!hex) return ipv6;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return `::ffff:${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** Why a webhook destination is refused; the message names the address and the range. */
export class WebhookDestinationRefused extends Error {
  override readonly name = 'WebhookDestinationRefused';
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface DestinationPolicy {
  /** Development and tests: private and loopback receivers are allowed (GATEWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS). */
  allowPrivateNetworks: boolean;
}

/**
 * Every address `host` (a URL's hostname: an IP literal, bracketed IPv6 or a name) stands for, each checked.
 * Throws WebhookDestinationRefused naming the first forbidden one; DNS errors are thrown as they are.
 */
export async function resolveDestination(
  host: string,
  policy: DestinationPolicy,
): Promise<ResolvedAddress[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  const literal = isIP(bare);
  const addresses: ResolvedAddress[] = literal
    ? [{ address: bare, family: literal as 4 | 6 }]
    : (await lookup(bare, { all: true, order: 'verbatim' })).map((a) => ({
        address: a.address,
        family: a.family as 4 | 6,
      }));
  if (addresses.length === 0) throw new WebhookDestinationRefused(`${host} resolves to no address`);
  if (!policy.allowPrivateNetworks) {
    for (const { address } of addresses) {
      const range = forbiddenRangeOf(address);
      if (range) {
        const via = literal ? '' : `${host} resolves to `;
        throw new WebhookDestinationRefused(
          `${via}${address}, a ${range} address; webhooks are delivered only to public internet addresses`,
        );
      }
    }
  }
  return addresses;
}
