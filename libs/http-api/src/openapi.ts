import { z } from 'zod';
import type { CatalogRoute } from './route-catalog';

type JsonSchema = Record<string, unknown>;

const problemSchema: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code', 'requestId'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    requestId: { type: 'string' },
    errorId: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

function toJson(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'openapi-3.0',
  }) as JsonSchema;
  delete json.$schema;
  return json;
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query') {
  if (!schema) return [];
  const json = toJson(schema, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

/** OpenAPI 3.1 document built from the same zod schemas the routes validate with. */
export function buildOpenApiDocument(
  info: { title: string; version: string; description: string },
  routes: CatalogRoute[],
) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const spec = route.spec;
    if (!spec) continue;
    const status = String(spec.status ?? 200);
    const operation: Record<string, unknown> = {
      operationId: route.handler.replace('.', '_'),
      summary: spec.summary,
      tags: [spec.tag],
      parameters: [
        ...parameters(spec.params, 'path'),
        ...parameters(spec.query, 'query'),
        ...(spec.tenantScoped
          ? [
              {
                name: 'X-Gnomon-Tenant',
                in: 'header',
                required: false,
                description: 'Platform admins only: the tenant to act in',
                schema: { type: 'string', format: 'uuid' },
              },
            ]
          : []),
      ],
      responses: {
        [status]: spec.response
          ? {
              description: 'Success',
              content: {
                [spec.contentType ?? 'application/json']: {
                  schema: toJson(spec.response, 'output'),
                },
              },
            }
          : { description: 'Success' },
        default: {
          description: 'Error',
          content: {
            'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
          },
        },
      },
      ...(spec.access === 'public' ? { security: [] } : {}),
      'x-gnomon-access': spec.access,
    };
    if (spec.body) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: toJson(spec.body, 'input') } },
      };
    }
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A Gnomon API key' },
      },
      schemas: { Problem: problemSchema },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
