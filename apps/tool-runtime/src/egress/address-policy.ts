import {
  cidrContains,
  formatIp,
  parseCidr,
  parseHostLiteral,
  type Cidr,
  type IpLiteral,
} from './ip-literal';

export { formatIp, parseHostLiteral, type IpLiteral } from './ip-literal';

/** Why an address is not a public destination a tool may reach. */
export type AddressCategory =
  | 'invalid'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'metadata'
  | 'unique-local'
  | 'site-local'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'benchmarking'
  | 'documentation'
  | 'protocol-assignment'
  | 'deprecated';

export type AddressVerdict =
  { allowed: true } | { allowed: false; reason: string; category: AddressCategory };

const DESCRIPTIONS: Record<AddressCategory, string> = {
  invalid: 'not an IP address',
  unspecified: 'an unspecified ("this network") address',
  loopback: 'a loopback address',
  private: 'a private-network (RFC 1918) address',
  shared: 'a carrier-grade NAT (RFC 6598) address',
  'link-local': 'a link-local address',
  metadata: 'a cloud metadata service address',
  'unique-local': 'a unique local (fc00::/7) address',
  'site-local': 'a deprecated site-local (fec0::/10) address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
  benchmarking: 'a benchmarking (RFC 2544) address',
  documentation: 'a documentation-only address',
  'protocol-assignment': 'an IETF protocol assignment address',
  deprecated: 'a deprecated IPv4-compatible IPv6 address',
};

type Rule = readonly [cidr: string, category: AddressCategory];

/**
 * Instance metadata endpoints hand out cloud credentials, so they are denied even when an
 * operator exception covers them. Some are not in any private range (Azure's WireServer).
 */
const METADATA: readonly Rule[] = [
  ['169.254.169.254', 'metadata'], // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
  ['169.254.170.2', 'metadata'], // ECS task credentials
  ['169.254.170.23', 'metadata'], // EKS Pod Identity agent
  ['169.254.0.23', 'metadata'], // Tencent Cloud
  ['100.100.100.200', 'metadata'], // Alibaba Cloud
  ['192.0.0.192', 'metadata'], // Oracle Cloud (legacy)
  ['168.63.129.16', 'metadata'], // Azure WireServer: a public address
  ['fd00:ec2::254', 'metadata'], // AWS IMDS over IPv6
  ['fd00:ec2::23', 'metadata'], // EKS Pod Identity agent over IPv6
  ['fe80::a9fe:a9fe', 'metadata'], // OpenStack over IPv6
];

/** First match wins, so narrower ranges come before the ranges that contain them. */
const IPV4_RULES: readonly Rule[] = [
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'protocol-assignment'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'], // retired 6to4 relay anycast
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
];

const IPV6_RULES: readonly Rule[] = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'reserved'], // local-use NAT64: the embedding depends on the operator
  ['100::/64', 'reserved'], // discard-only
  ['2001:2::/48', 'benchmarking'],
  ['2001:db8::/32', 'documentation'],
  ['2001::/23', 'protocol-assignment'], // includes Teredo, whose embedded IPv4 is obfuscated
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'reserved'], // SRv6 segment identifiers
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
];

interface CompiledRule {
  cidr: Cidr;
  category: AddressCategory;
}

const compile = (rules: readonly Rule[]): CompiledRule[] =>
  rules.map(([cidr, category]) => ({ cidr: parseCidr(cidr), category }));

const METADATA_RULES = compile(METADATA);
const V4_RULES = compile(IPV4_RULES);
const V6_RULES = compile(IPV6_RULES);
const IPV4_MAPPED = parseCidr('::ffff:0:0/96');
const IPV4_COMPATIBLE = parseCidr('::/96');
const NAT64 = parseCidr('64:ff9b::/96');
const SIX_TO_FOUR = parseCidr('2002::/16');
const GLOBAL_UNICAST = parseCidr('2000::/3');
const COMPATIBLE = 'an IPv4-compatible address';

function match(rules: CompiledRule[], literal: IpLiteral): AddressCategory | undefined {
  return rules.find((rule) => cidrContains(rule.cidr, literal))?.category;
}

function v4(bytes: Uint8Array): IpLiteral {
  return { family: 4, bytes: Uint8Array.from(bytes) };
}

/** The IPv4 address an IPv6 address carries, and how, for the transition mechanisms that do. */
function embeddedIpv4(literal: IpLiteral): { address: IpLiteral; how: string } | undefined {
  if (cidrContains(IPV4_COMPATIBLE, literal))
    return { address: v4(literal.bytes.subarray(12)), how: COMPATIBLE };
  if (cidrContains(NAT64, literal))
    return { address: v4(literal.bytes.subarray(12)), how: 'a NAT64 address' };
  if (cidrContains(SIX_TO_FOUR, literal))
    return { address: v4(literal.bytes.subarray(2, 6)), how: 'a 6to4 address' };
  return undefined;
}

export interface AddressPolicyOptions {
  /**
   * Operator exceptions: ranges a tool may reach despite the rules (an internal API gateway,
   * test servers on 127.0.0.2). They never open cloud metadata addresses.
   */
  allowCidrs?: readonly string[];
}

/**
 * Decides whether a resolved or literal address may be connected to: public unicast only, plus
 * the operator's exceptions. IPv6 forms that carry an IPv4 address are judged by that address.
 */
export class AddressPolicy {
  private readonly exceptions: Cidr[];

  constructor(options: AddressPolicyOptions = {}) {
    this.exceptions = (options.allowCidrs ?? []).map(parseCidr);
  }

  classify(ip: string): AddressVerdict {
    const literal = parseHostLiteral(ip);
    if (!literal) return deny(JSON.stringify(ip), 'invalid');
    const canonical = formatIp(literal);
    const display = canonical === ip ? ip : `${ip} (${canonical})`;
    // A zone id is only meaningful for link-local scope, whatever the address bits say.
    if (literal.zone !== undefined) return deny(display, 'link-local');
    if (cidrContains(IPV4_MAPPED, literal)) {
      // ::ffff:a.b.c.d is the IPv4 host itself to the kernel: judge it exactly as a.b.c.d.
      const inner = v4(literal.bytes.subarray(12));
      const verdict = this.classifyLiteral(inner);
      if (verdict.allowed) return verdict;
      const reason = `${display} is ${embedding('an IPv4-mapped address', inner, verdict.reason)}`;
      return { ...verdict, reason };
    }
    const verdict = this.classifyLiteral(literal);
    return verdict.allowed ? verdict : { ...verdict, reason: `${display} is ${verdict.reason}` };
  }

  /** `reason` here is only the description; `classify` prefixes the address. */
  private classifyLiteral(literal: IpLiteral): AddressVerdict {
    const metadata = match(METADATA_RULES, literal);
    if (metadata) return described(metadata);
    if (this.exceptions.some((cidr) => cidrContains(cidr, literal))) return { allowed: true };
    if (literal.family === 4) {
      const category = match(V4_RULES, literal);
      return category ? described(category) : { allowed: true };
    }
    const category = match(V6_RULES, literal);
    if (category) return described(category);
    const embedded = embeddedIpv4(literal);
    if (embedded) {
      const inner = this.classifyLiteral(embedded.address);
      if (!inner.allowed) {
        const reason = embedding(embedded.how, embedded.address, inner.reason);
        return { allowed: false, category: inner.category, reason };
      }
      // The deprecated compatible form has no legitimate public use even with a public IPv4.
      if (embedded.how === COMPATIBLE) return described('deprecated');
      return { allowed: true };
    }
    if (!cidrContains(GLOBAL_UNICAST, literal)) {
      return { allowed: false, category: 'reserved', reason: 'outside global unicast (2000::/3)' };
    }
    return { allowed: true };
  }
}

function described(category: AddressCategory): AddressVerdict {
  return { allowed: false, category, reason: DESCRIPTIONS[category] };
}

function deny(display: string, category: AddressCategory): AddressVerdict {
  return { allowed: false, category, reason: `${display} is ${DESCRIPTIONS[category]}` };
}

function embedding(how: string, inner: IpLiteral, innerReason: string): string {
  return `${how} embedding ${formatIp(inner)}, which is ${innerReason}`;
}

const DEFAULT_POLICY = new AddressPolicy();

/** The policy without operator exceptions. */
export function classifyAddress(ip: string): AddressVerdict {
  return DEFAULT_POLICY.classify(ip);
}
