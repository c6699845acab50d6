import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { taskDefinitionJsonSchema } from './json-schema';

const PUBLISHED = join(__dirname, '../../../../docs/task-definition.schema.json');

describe('published JSON Schema', () => {
  it('docs/task-definition.schema.json is the output of taskDefinitionJsonSchema()', () => {
    const generated = taskDefinitionJsonSchema();
    // To regenerate: UPDATE_TASK_DEFINITION_SCHEMA=1 jest <this file>, then prettier --write it.
    if (process.env.UPDATE_TASK_DEFINITION_SCHEMA === '1')
      writeFileSync(PUBLISHED, `${JSON.stringify(generated, null, 2)}\n`);
    expect(JSON.parse(readFileSync(PUBLISHED, 'utf8'))).toEqual(generated);
  });

  it('describes the language as tenants write it', () => {
    const schema = taskDefinitionJsonSchema() as {
      $schema: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { const?: string; items?: { oneOf: unknown[] } }>;
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required).toEqual(['language', 'start', 'steps']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.language.const).toBe('gnomon.task/v1');
    expect(schema.properties.steps.items?.oneOf).toHaveLength(5);
  });
});
