/**
 * IP literal parsing for the SSRF checks. It deliberately accepts every spelling the WHATWG URL
 * parser and inet_aton(3) accept (decimal, hex, octal and shorthand IPv4) so that an address
 * cannot slip past the policy by being written in a form a stricter parser would call a name.
 */

export interface IpLiteral {
  family: 4 | 6;
  /** 4 bytes for IPv4, 16 for IPv6, network order. */
  bytes: Uint8Array;
  /** The IPv6 zone id (`fe80::1%eth0`), if any; its presence alone makes the address link-local. */
  zone?: string;
}

export interface Cidr {
  family: 4 | 6;
  bytes: Uint8Array;
  prefix: number;
}

/** One IPv4 part: `0x` hex, leading-zero octal or decimal, as WHATWG "IPv4 number parser". */
function parseIpv4Number(part: string): number | null {
  if (part === '') return null;
  let radix = 10;
  let digits = part;
  if (/^0x/i.test(part)) {
    radix = 16;
    digits = part.slice(2);
  } else if (part.length > 1 && part.startsWith('0')) {
    radix = 8;
    digits = part.slice(1);
  }
  if (digits === '') return 0; // `0x` alone is zero for WHATWG
  const pattern = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!pattern.test(digits)) return null;
  // Any value past 2^32 is rejected by the caller, so float imprecision for long inputs is harmless.
  return parseInt(digits, radix);
}

/** IPv4 in any inet_aton form: 1 to 4 parts, the last one filling the remaining bytes. */
function parseIpv4(input: string): Uint8Array | null {
  const parts = input.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // `127.0.0.1.`
  if (parts.length === 0 || parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const value = parseIpv4Number(part);
    if (value === null) return null;
    numbers.push(value);
  }
  const last = numbers.pop() ?? 0;
  if (numbers.some((n) => n > 255)) return null;
  if (last >= 256 ** (5 - parts.length)) return null;
  let value = last;
  numbers.forEach((n, i) => (value += n * 256 ** (3 - i)));
  return Uint8Array.of(
    (value >>> 24) & 255,
    (value >>> 16) & 255,
    (value >>> 8) & 255,
    value & 255,
  );
}

/** The strict dotted quad allowed as the tail of an IPv6 literal (`::ffff:127.0.0.1`). */
function parseDottedQuad(input: string): Uint8Array | null {
  const parts = input.split('.');
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] ?? '';
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return null;
    bytes[i] = Number(part);
  }
  return bytes;
}

/** Hex groups of one side of `::`; an IPv4 tail counts as two groups. */
function parseGroups(side: string, allowIpv4Tail: boolean): number[] | null {
  if (side === '') return [];
  const parts = side.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (allowIpv4Tail && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseDottedQuad(part);
      if (!v4) return null;
      groups.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    } else {
      if (!/^[0-9a-f]{1,4}$/i.test(part)) return null;
      groups.push(parseInt(part, 16));
    }
  }
  return groups;
}

function parseIpv6(input: string): Uint8Array | null {
  if (!/^[0-9a-f:.]+$/i.test(input)) return null;
  const compress = input.indexOf('::');
  let groups: number[];
  if (compress === -1) {
    const all = parseGroups(input, true);
    if (!all || all.length !== 8) return null;
    groups = all;
  } else {
    if (input.indexOf('::', compress + 1) !== -1) return null;
    const tail = input.slice(compress + 2);
    const head = parseGroups(input.slice(0, compress), false);
    const rest = parseGroups(tail, true);
    if (!head || !rest || head.length + rest.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  }
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 255;
  });
  return bytes;
}

/**
 * Parses `host` as an IP literal: any IPv4 spelling, or IPv6 with or without brackets and with an
 * optional zone id (`%eth0`, or URL-encoded `%25eth0`). Returns null when `host` is a name.
 */
export function parseHostLiteral(host: string): IpLiteral | null {
  let text = host.trim();
  const bracketed = text.startsWith('[') && text.endsWith(']');
  if (bracketed) text = text.slice(1, -1);
  if (text.includes(':')) {
    const percent = text.indexOf('%');
    const address = percent === -1 ? text : text.slice(0, percent);
    const zone = percent === -1 ? undefined : text.slice(percent + 1);
    if (zone !== undefined && !/^[\w.%-]+$/.test(zone)) return null;
    const bytes = parseIpv6(address);
    if (!bytes) return null;
    return zone === undefined ? { family: 6, bytes } : { family: 6, bytes, zone };
  }
  if (bracketed) return null;
  const bytes = parseIpv4(text);
  return bytes ? { family: 4, bytes } : null;
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (mapped addresses keep their dotted tail). */
export function formatIp(literal: Pick<IpLiteral, 'family' | 'bytes'>): string {
  const b = literal.bytes;
  if (literal.family === 4) return Array.from(b).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${Array.from(b.subarray(12)).join('.')}`;
  }
  // Compress the longest run of two or more zero groups (the first one on a tie).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

/** `10.0.0.0/8`, `fd00::/8`, or a bare address (a /32 or /128). Throws on anything else. */
export function parseCidr(text: string): Cidr {
  const [address = '', prefixText, extra] = text.trim().split('/');
  const literal = parseHostLiteral(address);
  const max = literal?.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (
    !literal ||
    literal.zone !== undefined ||
    extra !== undefined ||
    (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) ||
    prefix > max
  ) {
    throw new Error(`${JSON.stringify(text)} is not a CIDR range (e.g. 10.0.0.0/8 or fd00::/8)`);
  }
  return { family: literal.family, bytes: literal.bytes, prefix };
}

export function cidrContains(cidr: Cidr, literal: Pick<IpLiteral, 'family' | 'bytes'>): boolean {
  if (cidr.family !== literal.family) return false;
  const full = cidr.prefix >> 3;
  for (let i = 0; i < full; i++) if (cidr.bytes[i] !== literal.bytes[i]) return false;
  const bits = cidr.prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((cidr.bytes[full] ?? 0) & mask) === ((literal.bytes[full] ?? 0) & mask);
}
