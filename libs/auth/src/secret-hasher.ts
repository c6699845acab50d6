import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/**
 * Keyed hash of credentials. Only this HMAC is stored, with a pepper that lives outside the
 * database, so a database dump alone cannot be used to test guesses offline.
 */
export class SecretHasher {
  /** A KeyObject built once: passing raw bytes would import the key again on every hash. */
  private readonly pepper: KeyObject;

  constructor(pepper: string) {
    if (pepper.length < 16) throw new Error('the API key pepper must be at least 16 characters');
    this.pepper = createSecretKey(Buffer.from(pepper, 'utf8'));
  }

  hash(secret: string): string {
    return createHmac('sha256', this.pepper).update(secret, 'utf8').digest('base64url');
  }
}
