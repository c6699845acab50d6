import type { ValuePath } from '@gnomon/contracts';

/** What templates and conditions can read: the run input and the outputs of finished steps. */
export interface RunScope {
  input: unknown;
  steps: Record<string, { output: unknown }>;
}

export type Lookup = { found: true; value: unknown } | { found: false };

const MISSING: Lookup = { found: false };

function own(value: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(value, key);
}

/**
 * The value at a path. Keys select own properties of plain objects and indexes elements of
 * arrays; nothing else is reachable (no prototype members such as `constructor`, no `length`),
 * and an `undefined` value counts as missing.
 */
export function lookupPath(path: ValuePath, scope: RunScope): Lookup {
  let value: unknown;
  if (path.root === 'input') {
    value = scope.input;
  } else {
    const steps: unknown = scope.steps;
    if (steps === null || typeof steps !== 'object' || !own(steps, path.stepId)) return MISSING;
    const step: unknown = (steps as Record<string, unknown>)[path.stepId];
    if (step === null || typeof step !== 'object' || !own(step, 'output')) return MISSING;
    value = (step as { output: unknown }).output;
  }
  for (const segment of path.segments) {
    if (value === undefined) return MISSING;
    if (typeof segment === 'number') {
      if (!Array.isArray(value) || segment >= value.length) return MISSING;
      value = value[segment] as unknown;
    } else {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return MISSING;
      if (!own(value, segment)) return MISSING;
      value = (value as Record<string, unknown>)[segment];
    }
  }
  return value === undefined ? MISSING : { found: true, value };
}
