import { randomBytes } from 'node:crypto';

/**
 * Session secrets and one-time link tokens: 256 random bits, base64url (43 characters, safe in
 * cookies and URLs). Only their HMAC (SecretHasher) is ever stored.
 */
const SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function generateOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether a presented value could be one of ours at all (checked before any lookup). */
export function isOpaqueTokenShape(value: string): boolean {
  return SHAPE.test(value);
}
