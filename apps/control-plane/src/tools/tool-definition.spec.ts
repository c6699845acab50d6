import { ToolSchemaValidator } from '@gnomon/tools';
import type { ToolRow, ToolVersionRow } from '@gnomon/db';
import {
  definitionProblems,
  executableToolOf,
  toolView,
  type ToolDefinition,
} from './tool-definition';

const schemas = new ToolSchemaValidator();
const base: ToolDefinition = {
  description: '',
  source: 'export default () => 1',
  request: null,
  inputSchema: null,
  outputSchema: null,
  allowNet: [],
  limits: {},
};
const http = (url: string): ToolDefinition => ({
  ...base,
  source: null,
  request: { method: 'GET', url },
});

describe('definitionProblems', () => {
  it('accepts compiling schemas and http(s) URLs with placeholders anywhere a value fits', () => {
    expect(
      definitionProblems(
        { ...base, inputSchema: { type: 'object', required: ['a'] }, outputSchema: {} },
        schemas,
      ),
    ).toEqual([]);
    for (const url of [
      'https://api.example.com/v1/{{input.city}}',
      'http://{{ input.host }}.example.com:{{input.port}}/x?q={{input.items[0].q}}',
      'https://api.example.com',
    ]) {
      expect({ url, problems: definitionProblems(http(url), schemas) }).toEqual({
        url,
        problems: [],
      });
    }
  });

  it('names each schema that does not compile, with the validator message', () => {
    const problems = definitionProblems(
      { ...base, inputSchema: { type: 'objekt' }, outputSchema: { $ref: 'https://x.test/s' } },
      schemas,
    );
    expect(problems).toEqual([
      { path: 'body.inputSchema', message: expect.stringMatching(/^not a valid JSON Schema: /) },
      { path: 'body.outputSchema', message: expect.stringMatching(/^not a valid JSON Schema: /) },
    ]);
  });

  it.each([
    ['ftp://files.example.com/{{input.name}}', 'must be an http(s) URL'],
    ['{{input.url}}', 'not a valid absolute URL'],
    ['/relative/{{input.path}}', 'not a valid absolute URL'],
    ['https://api.example.com/{{input}}x}}', 'placeholders'],
    ['https://api.example.com/{{secret}}', 'placeholders'],
    ['https://user:pw@api.example.com/', 'credentials'],
  ])('refuses the URL %s at body.request.url', (url, message) => {
    expect(definitionProblems(http(url), schemas)).toEqual([
      { path: 'body.request.url', message: expect.stringContaining(message) },
    ]);
  });
});

describe('views of a stored tool', () => {
  const createdAt = new Date('2026-11-21T10:00:00.000Z');
  const updatedAt = new Date('2026-11-21T11:00:00.000Z');
  const tool: ToolRow = {
    id: '7d4a3a53-8a8e-4c52-9d5e-2b1b6f1f3c11',
    tenantId: 'f1d1b0a4-61a4-4c1e-8a4f-7b0e8d2f9a00',
    name: 'weather',
    kind: 'http',
    description: 'd',
    currentVersion: 2,
    createdAt,
    updatedAt,
    deletedAt: null,
  };
  const version: ToolVersionRow = {
    id: 'a6b2c1d0-0000-4000-8000-000000000002',
    tenantId: tool.tenantId,
    toolId: tool.id,
    version: 2,
    description: 'd',
    source: null,
    request: { method: 'GET', url: 'https://api.example.com/{{input.city}}' },
    inputSchema: { type: 'object' },
    outputSchema: null,
    allowNet: ['api.example.com'],
    limits: { timeoutMs: 500 },
    createdBy: 'API_KEY:k',
    createdAt: updatedAt,
  };

  it('toolView: the tool with its current version; createdAt is the tool’s, updatedAt the version’s', () => {
    expect(toolView({ tool, version })).toEqual({
      id: tool.id,
      name: 'weather',
      version: 2,
      kind: 'http',
      description: 'd',
      source: null,
      request: version.request,
      inputSchema: { type: 'object' },
      outputSchema: null,
      allowNet: ['api.example.com'],
      limits: { timeoutMs: 500 },
      createdBy: 'API_KEY:k',
      createdAt: createdAt.toISOString(),
      updatedAt: updatedAt.toISOString(),
    });
  });

  it('executableToolOf: what the tool runtime executes, and the tool’s limits', () => {
    expect(executableToolOf({ tool, version })).toEqual({
      tool: {
        kind: 'http',
        name: 'weather',
        request: version.request,
        allowNet: ['api.example.com'],
        inputSchema: { type: 'object' },
        outputSchema: null,
      },
      limits: { timeoutMs: 500 },
    });
  });
});
