import type { CursorPosition } from '@gnomon/http-api';

/** Rows strictly after a cursor in newest-first (createdAt, id) order. */
export function afterCursor(after: CursorPosition | null) {
  if (!after) return {};
  return {
    OR: [
      { createdAt: { lt: after.createdAt } },
      { createdAt: after.createdAt, id: { lt: after.id } },
    ],
  };
}
