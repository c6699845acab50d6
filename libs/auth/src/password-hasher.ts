import { hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';

/** argon2id parameters: the library's defaults, which are OWASP's first recommendation. */
export interface PasswordHashOptions {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const DEFAULT_PASSWORD_HASH_OPTIONS: PasswordHashOptions = {
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

/**
 * Members' passwords, stored as argon2id PHC strings (`$argon2id$v=19$m=…`). A sign-in for an
 * email without a password still runs one verification against a throwaway hash, so the answer
 * takes as long whether or not the account exists.
 */
export class PasswordHasher {
  private decoy: Promise<string> | null = null;

  constructor(private readonly options: PasswordHashOptions = DEFAULT_PASSWORD_HASH_OPTIONS) {}

  hash(password: string): Promise<string> {
    return hash(password, this.options);
  }

  /** False for a wrong password, a missing hash (after the same work) or an unreadable hash. */
  async verify(stored: string | null, password: string): Promise<boolean> {
    if (stored === null) {
      this.decoy ??= this.hash(randomBytes(16).toString('hex'));
      await verify(await this.decoy, password).catch(() => false);
      return false;
    }
    return verify(stored, password).catch(() => false);
  }
}
