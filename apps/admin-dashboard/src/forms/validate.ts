import type { z } from 'zod';

export type FieldErrors = Record<string, string>;

export type Validated<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors };

/** `owner.email`, `scopes[0]`: the path of an issue as the form names its fields. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    return out ? `${out}.${String(part)}` : String(part);
  }, '');
}

/**
 * Checks a request body with the schema the API validates it with (libs/contracts), so the
 * form refuses what the API would refuse, with the same messages; one message per field.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown): Validated<z.output<S>> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, data: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const path = fieldPath(issue.path) || 'form';
    errors[path] ??= issue.message;
  }
  return { ok: false, errors };
}

/** The first error of a field or of any of its items (`scopes` covers `scopes[2]`). */
export function errorFor(errors: FieldErrors, field: string): string | undefined {
  if (errors[field]) return errors[field];
  const nested = Object.keys(errors).find(
    (path) => path.startsWith(`${field}[`) || path.startsWith(`${field}.`),
  );
  return nested ? errors[nested] : undefined;
}
