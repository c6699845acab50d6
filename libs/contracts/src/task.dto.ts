import { z } from 'zod';
import { TaskDefinition } from './task-definition';
import { ToolName, isToolId } from './tool.dto';

/**
 * Tasks (control plane, /api/v1/tasks): a named task whose definition (the task definition
 * language, see ./task-definition) is kept as immutable numbered versions; runs pin one.
 */

/** `GET /api/v1/tasks/schema` serves the language's JSON Schema: no task may take that name. */
export const RESERVED_TASK_NAMES: readonly string[] = ['schema'];

/** A task's name, unique in its tenant: the rule of tool names (never shaped like a UUID). */
export const TaskName = ToolName.refine(
  (name) => !RESERVED_TASK_NAMES.includes(name),
  'is reserved (GET /api/v1/tasks/schema serves the language schema)',
);

/** The `{id}` of `/api/v1/tasks/{id}`: the task's id (UUID), or its name. */
export const TaskRef = z
  .string()
  .refine(
    (ref) => isToolId(ref) || ToolName.safeParse(ref).success,
    'must be a task id (UUID) or a task name',
  )
  .describe("The task's id or its name");

/** Whether a TaskRef is an id (otherwise it is a name). */
export const isTaskId = (ref: string): boolean => isToolId(ref);

export const TaskParams = z.strictObject({ id: TaskRef });
export type TaskParams = z.infer<typeof TaskParams>;

export const TaskVersionParams = z.strictObject({
  id: TaskRef,
  version: z.coerce.number().int().min(1).max(2_147_483_647),
});
export type TaskVersionParams = z.infer<typeof TaskVersionParams>;

export const MAX_TASK_DEFINITION_BYTES = 256 * 1024;
const utf8 = new TextEncoder();

/**
 * A definition in a request: its size is checked first (UTF-8 bytes of its JSON), so an
 * oversized document is refused before the language's rules run; then `TaskDefinition`.
 * (A pipe from a bare transform keeps TaskDefinition as the documented input schema.)
 */
export const TaskDefinitionBody = z.pipe(
  z.transform((value: unknown, ctx) => {
    const json = JSON.stringify(value);
    if (json !== undefined && utf8.encode(json).length > MAX_TASK_DEFINITION_BYTES) {
      ctx.addIssue({ code: 'custom', message: 'definition is larger than 256 KiB' });
      return z.NEVER;
    }
    return value;
  }),
  TaskDefinition,
);

const Description = z.string().max(2_000);

/** `POST /api/v1/tasks`: creates the task and its version 1. */
export const CreateTaskRequest = z.strictObject({
  name: TaskName,
  description: Description.default(''),
  definition: TaskDefinitionBody,
});
export type CreateTaskRequest = z.infer<typeof CreateTaskRequest>;

/**
 * `PUT /api/v1/tasks/{id}`: writes a new immutable version and makes it current. The
 * description belongs to the task, not to a version: it is replaced only when given.
 */
export const UpdateTaskRequest = z.strictObject({
  description: Description.optional().describe("The task's description; unchanged when absent"),
  definition: TaskDefinitionBody,
});
export type UpdateTaskRequest = z.infer<typeof UpdateTaskRequest>;

export const TaskVersionView = z.object({
  taskId: z.uuid(),
  version: z.number().int(),
  definition: TaskDefinition.describe('The definition as stored (defaults filled in)'),
  createdBy: z
    .string()
    .nullable()
    .describe('Who wrote this version: "<actor type>:<key id>", e.g. "API_KEY:…"'),
  createdAt: z.iso.datetime().describe('When this version was written'),
});
export type TaskVersionView = z.infer<typeof TaskVersionView>;

/** A task with its current version's definition. */
export const TaskView = z.object({
  id: z.uuid(),
  name: TaskName,
  description: z.string(),
  currentVersion: z.number().int(),
  definition: TaskDefinition.describe("The current version's definition"),
  createdAt: z.iso.datetime().describe('When the task was created (version 1)'),
  updatedAt: z.iso.datetime().describe('When the task last changed (its current version)'),
});
export type TaskView = z.infer<typeof TaskView>;

export const TaskListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(1024).optional(),
  name: z.string().max(64).optional().describe('Prefix of the task name'),
});
export type TaskListQuery = z.infer<typeof TaskListQuery>;

/** `GET /api/v1/tasks/schema`: the JSON Schema (draft 2020-12) of a task definition. */
export const TaskDefinitionJsonSchema = z
  .record(z.string(), z.json())
  .describe('JSON Schema (draft 2020-12) of the task definition language');
