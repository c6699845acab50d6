// The start-run form: fields generated from a task's input JSON Schema when it is a flat
// object of simple values, or a JSON editor otherwise.

export type InputFieldType = 'string' | 'number' | 'integer' | 'boolean';

export interface InputField {
  name: string;
  type: InputFieldType;
  required: boolean;
  description?: string;
  options?: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The form fields of an input schema, or null when the schema needs the JSON editor. */
export function inputFieldsOf(schema: unknown): InputField[] | null {
  if (!isRecord(schema) || schema.type !== 'object' || !isRecord(schema.properties)) return null;
  const required = Array.isArray(schema.required) ? schema.required.map(String) : [];
  const fields: InputField[] = [];
  for (const [name, property] of Object.entries(schema.properties)) {
    if (!isRecord(property)) return null;
    const options =
      Array.isArray(property.enum) && property.enum.every((v) => typeof v === 'string')
        ? property.enum
        : undefined;
    const type = options ? 'string' : property.type;
    if (type !== 'string' && type !== 'number' && type !== 'integer' && type !== 'boolean')
      return null;
    fields.push({
      name,
      type,
      required: required.includes(name),
      ...(typeof property.description === 'string' ? { description: property.description } : {}),
      ...(options ? { options } : {}),
    });
  }
  return fields;
}

/**
 * The input object from the fields' text values: numbers are converted, empty optional fields
 * left out. Errors (by field name) for what cannot be converted or is missing.
 */
export function inputOf(
  fields: InputField[],
  values: Record<string, string>,
): { input: Record<string, unknown>; errors: Record<string, string> } {
  const input: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const raw = values[field.name] ?? '';
    if (field.type === 'boolean') {
      input[field.name] = raw === 'true';
      continue;
    }
    if (raw.trim() === '') {
      if (field.required) errors[field.name] = 'required';
      continue;
    }
    if (field.type === 'string') {
      input[field.name] = raw;
      continue;
    }
    const value = Number(raw);
    if (!Number.isFinite(value)) errors[field.name] = 'must be a number';
    else if (field.type === 'integer' && !Number.isInteger(value))
      errors[field.name] = 'must be a whole number';
    else input[field.name] = value;
  }
  return { input, errors };
}
