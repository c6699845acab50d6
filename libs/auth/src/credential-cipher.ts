import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface SealedSecret {
  ciphertext: Buffer;
  iv: Buffer;
  authTag: Buffer;
  keyVersion: number;
}

/**
 * AES-256-GCM for secrets kept at rest (tenants' own provider keys). The 256-bit key is derived
 * from GNOMON_ENCRYPTION_KEY; every secret gets a fresh 96-bit IV, and the tenant id is bound as
 * associated data, so a ciphertext copied to another tenant's row does not decrypt.
 */
export class CredentialCipher {
  private readonly key: Buffer;

  constructor(
    secret: string,
    readonly keyVersion = 1,
  ) {
    if (secret.length < 16) throw new Error('the encryption key must be at least 16 characters');
    this.key = createHash('sha256').update(`gnomon-credentials:${secret}`).digest();
  }

  seal(plaintext: string, tenantId: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(tenantId));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { ciphertext, iv, authTag: cipher.getAuthTag(), keyVersion: this.keyVersion };
  }

  open(sealed: Pick<SealedSecret, 'ciphertext' | 'iv' | 'authTag'>, tenantId: string): string {
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.iv);
    decipher.setAAD(Buffer.from(tenantId));
    decipher.setAuthTag(sealed.authTag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  }
}
