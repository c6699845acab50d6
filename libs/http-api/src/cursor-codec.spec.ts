import { ApiError } from './api-error';
import { CursorCodec } from './cursor-codec';

describe('CursorCodec', () => {
  let now = Date.UTC(2026, 0, 1);
  const codec = new CursorCodec('a-secret-for-cursors', 60, () => now);
  const position = {
    createdAt: new Date('2026-01-01T00:00:00.123Z'),
    id: '6c1f3e8e-8f7a-4a55-9d8e-1f0f1b6a1e01',
  };

  const rejects = (fn: () => unknown, detail: RegExp) => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).code).toBe('invalid_cursor');
      expect((error as ApiError).detail).toMatch(detail);
      return;
    }
    throw new Error('expected the cursor to be rejected');
  };

  it('round-trips a position for the same list and tenant', () => {
    expect(codec.decode(codec.encode('members', 't1', position), 'members', 't1')).toEqual(
      position,
    );
  });

  it('rejects any tampering', () => {
    const cursor = codec.encode('members', 't1', position);
    const [body, signature] = cursor.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), i: 'other' }),
    ).toString('base64url');
    rejects(() => codec.decode(`${forged}.${signature}`, 'members', 't1'), /signature/);
    rejects(() => codec.decode(`${body}.${signature.slice(0, -1)}A`, 'members', 't1'), /signature/);
    rejects(() => codec.decode('not-a-cursor', 'members', 't1'), /malformed/);
  });

  it('rejects a cursor of another list, another tenant, or another secret', () => {
    const cursor = codec.encode('members', 't1', position);
    rejects(() => codec.decode(cursor, 'api-keys', 't1'), /another list/);
    rejects(() => codec.decode(cursor, 'members', 't2'), /another list/);
    rejects(
      () => new CursorCodec('some-other-secret').decode(cursor, 'members', 't1'),
      /signature/,
    );
  });

  it('expires', () => {
    const cursor = codec.encode('members', 't1', position);
    now += 61_000;
    rejects(() => codec.decode(cursor, 'members', 't1'), /expired/);
  });
});
