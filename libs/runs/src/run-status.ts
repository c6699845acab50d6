import type { RunStatusValue } from '@gnomon/db';

/** Statuses a run never leaves. */
export const TERMINAL_STATUSES: readonly RunStatusValue[] = [
  'SUCCEEDED',
  'FAILED',
  'BUDGET_EXCEEDED',
  'CANCELLED',
  'TIMED_OUT',
];

export function isTerminal(status: RunStatusValue): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * Allowed moves: PENDING → RUNNING → (AWAITING_APPROVAL ↔ RUNNING) → a terminal status; any
 * live status may end (a run can be cancelled or fail before its first step runs).
 */
export function canMove(from: RunStatusValue, to: RunStatusValue): boolean {
  if (isTerminal(from) || from === to) return false;
  if (isTerminal(to)) return true;
  if (to === 'RUNNING') return from === 'PENDING' || from === 'AWAITING_APPROVAL';
  if (to === 'AWAITING_APPROVAL') return from === 'RUNNING' || from === 'PENDING';
  return false;
}
