import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  // Small parameters keep the test fast; production uses the defaults.
  const hasher = new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

  it('stores argon2id PHC strings, salted, that verify only the right password', async () => {
    const [a, b] = await Promise.all([hasher.hash('correct horse'), hasher.hash('correct horse')]);
    expect(a).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
    expect(await hasher.verify(a, 'correct horse')).toBe(true);
    expect(await hasher.verify(a, 'correct horsE')).toBe(false);
  });

  it('answers false for a missing or unreadable hash instead of throwing', async () => {
    expect(await hasher.verify(null, 'anything')).toBe(false);
    expect(await hasher.verify('not-a-phc-string', 'anything')).toBe(false);
  });
});
