import { randomBytes } from 'node:crypto';

/**
 * Gnomon secret format (ADR 0004): `<prefix>_<43 base62 chars: 256 random bits><6 base62
 * chars: CRC-32 of everything before it>`. The prefix makes leaked keys recognisable; the
 * checksum lets secret scanners (and our own edge) reject typos and junk offline, before any
 * lookup.
 */
export const TENANT_KEY_PREFIX = 'gnm';
export const PLATFORM_KEY_PREFIX = 'gnp';
export type KeyKind = 'tenant' | 'platform';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 43; // ceil(256 / log2(62))
const CHECKSUM_LENGTH = 6; // ceil(32 / log2(62))
const KIND_BY_PREFIX: Record<string, KeyKind> = {
  [TENANT_KEY_PREFIX]: 'tenant',
  [PLATFORM_KEY_PREFIX]: 'platform',
};
const PATTERN = new RegExp(
  `^(${TENANT_KEY_PREFIX}|${PLATFORM_KEY_PREFIX})_[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`,
);

/** Visible part of a key kept for display: prefix and the first 8 random characters. */
export const DISPLAY_PREFIX_LENGTH = 4 + 8;

function toBase62(value: bigint, length: number): string {
  let out = '';
  let rest = value;
  while (rest > 0n) {
    out = ALPHABET[Number(rest % 62n)] + out;
    rest /= 62n;
  }
  return out.padStart(length, '0');
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function checksum(body: string): string {
  return toBase62(BigInt(crc32(body)), CHECKSUM_LENGTH);
}

export function generateSecret(kind: KeyKind): string {
  const prefix = kind === 'tenant' ? TENANT_KEY_PREFIX : PLATFORM_KEY_PREFIX;
  const random = toBase62(BigInt(`0x${randomBytes(32).toString('hex')}`), RANDOM_LENGTH);
  const body = `${prefix}_${random}`;
  return body + checksum(body);
}

/** The kind of a well-formed Gnomon secret with a valid checksum, otherwise null. */
export function parseSecret(secret: string): KeyKind | null {
  const match = PATTERN.exec(secret);
  if (!match) return null;
  const body = secret.slice(0, -CHECKSUM_LENGTH);
  return checksum(body) === secret.slice(-CHECKSUM_LENGTH) ? KIND_BY_PREFIX[match[1]] : null;
}

export function displayParts(secret: string): { prefix: string; lastFour: string } {
  return { prefix: secret.slice(0, DISPLAY_PREFIX_LENGTH), lastFour: secret.slice(-4) };
}
