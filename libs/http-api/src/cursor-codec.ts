import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError } from './api-error';

/** Position after the last item of a page, in (createdAt, id) order. */
export interface CursorPosition {
  createdAt: Date;
  id: string;
}

interface CursorPayload {
  l: string; // list it belongs to, so a cursor of one list is useless on another
  t: string; // tenant (or '-') it was issued to
  c: string; // createdAt ISO
  i: string; // id
  e: number; // expiry, epoch seconds
}

/**
 * Opaque, HMAC-signed, expiring page cursors. Clients cannot forge positions, move a cursor
 * between lists or tenants, or keep one forever.
 */
export class CursorCodec {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly ttlSeconds = 3600,
    private readonly now: () => number = Date.now,
  ) {
    this.key = Buffer.from(`gnomon-cursor:${secret}`);
  }

  encode(list: string, tenantId: string | null, position: CursorPosition): string {
    const payload: CursorPayload = {
      l: list,
      t: tenantId ?? '-',
      c: position.createdAt.toISOString(),
      i: position.id,
      e: Math.floor(this.now() / 1000) + this.ttlSeconds,
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  decode(cursor: string, list: string, tenantId: string | null): CursorPosition {
    const [body, signature, extra] = cursor.split('.');
    if (!body || !signature || extra !== undefined) throw invalid('malformed cursor');
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      throw invalid('cursor signature mismatch');
    let payload: CursorPayload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as CursorPayload;
    } catch {
      throw invalid('malformed cursor');
    }
    if (payload.l !== list || payload.t !== (tenantId ?? '-'))
      throw invalid('cursor belongs to another list');
    if (payload.e * 1000 <= this.now())
      throw invalid('cursor expired; start again from the first page');
    const createdAt = new Date(payload.c);
    if (Number.isNaN(createdAt.getTime()) || typeof payload.i !== 'string')
      throw invalid('malformed cursor');
    return { createdAt, id: payload.i };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

function invalid(detail: string): ApiError {
  return new ApiError('invalid_cursor', detail);
}

/** Builds one page from `limit + 1` rows fetched in (createdAt, id) order. */
export function toPage<Row extends { createdAt: Date; id: string }, Item>(
  rows: Row[],
  limit: number,
  map: (row: Row) => Item,
  nextCursor: (last: Row) => string,
): { items: Item[]; nextCursor: string | null } {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  return {
    items: pageRows.map(map),
    nextCursor: hasMore ? nextCursor(pageRows[pageRows.length - 1]) : null,
  };
}
