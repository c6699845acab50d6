/**
 * How the local engine runs a state machine definition with aws-local-stepfunctions, which has
 * no callback (`.waitForTaskToken`) tasks, no heartbeats and no `$$.Task.Token`: every callback
 * Task is run by a local handler that mints a token (local-task-token-broker.ts), and the
 * broker — not the library — enforces the task's TimeoutSeconds and HeartbeatSeconds.
 *
 * The library runs a COPY of the definition; the definition deployed to AWS (and validated by
 * its spec) is never changed. In the copy, each callback Task:
 * - loses TimeoutSeconds/TimeoutSecondsPath/HeartbeatSeconds/HeartbeatSecondsPath and gets a
 *   static backstop TimeoutSeconds the broker always beats (the library would otherwise apply
 *   its own timer, 60 s by default);
 * - gets its timing as an extra Parameters field ({@link TIMING_FIELD}). Library quirk: it
 *   resolves TimeoutSecondsPath against the state's input AFTER Parameters, whereas AWS
 *   resolves it against the state's input; Parameters are resolved against exactly that
 *   input, so a path placed there gives AWS's value, synchronously, in the handler's input.
 *   The handler takes the field out again before the message is sent.
 */

/** Parameters field that carries a callback task's timing into its local handler. */
export const TIMING_FIELD = 'gnomon:localTiming';
/** Parameters field that carries a Task's input when the state has no object Parameters. */
const INPUT_FIELD = 'gnomon:localInput';

/**
 * TimeoutSeconds of callback tasks in the copy: the longest whole-second delay setTimeout
 * takes (~24.8 days; a larger one would fire at once). Broker timeouts stay below it.
 */
export const LIBRARY_TASK_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
export const LONGEST_LOCAL_TASK_SECONDS = LIBRARY_TASK_TIMEOUT_SECONDS - 60;

export const WAIT_FOR_TASK_TOKEN_SUFFIX = '.waitForTaskToken';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface LocalTaskState {
  name: string;
  resource: string;
  /** A callback task: run by the token broker. */
  callback: boolean;
  /** The top-level Map or Parallel state the task runs in, if any. */
  scope?: string;
}

export interface LocalDefinition {
  /** The copy aws-local-stepfunctions runs. */
  runnable: JsonObject;
  /** Every Task state of the definition, nested ones (Map, Parallel) included. */
  tasks: LocalTaskState[];
}

/** A callback task's timing as resolved against the state's input (seconds). */
export interface TaskTiming {
  timeoutSeconds?: unknown;
  heartbeatSeconds?: unknown;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Each `States` map of the definition — the top level and every Map/Parallel inside it — with
 * the top-level Map or Parallel state it runs in.
 */
function* stateMaps(
  machine: JsonObject,
  scope?: string,
): Generator<{ states: JsonObject; scope: string | undefined }> {
  if (!isObject(machine.States)) return;
  yield { states: machine.States, scope };
  for (const [name, state] of Object.entries(machine.States)) {
    if (!isObject(state)) continue;
    const inner = scope ?? name;
    for (const nested of [state.ItemProcessor, state.Iterator]) {
      if (isObject(nested)) yield* stateMaps(nested, inner);
    }
    if (Array.isArray(state.Branches)) {
      for (const branch of state.Branches) if (isObject(branch)) yield* stateMaps(branch, inner);
    }
  }
}

function timingTemplate(state: JsonObject): JsonObject {
  const template: JsonObject = {};
  for (const [field, key] of [
    ['TimeoutSeconds', 'timeoutSeconds'],
    ['HeartbeatSeconds', 'heartbeatSeconds'],
  ] as const) {
    const value = state[field];
    const path = state[`${field}Path`];
    if (value !== undefined) template[key] = value;
    else if (typeof path === 'string') template[`${key}.$`] = path;
    delete state[field];
    delete state[`${field}Path`];
  }
  return template;
}

/** Builds the copy the library runs (see the file comment) and lists the Task states. */
export function prepareLocalDefinition(definition: unknown): LocalDefinition {
  if (!isObject(definition)) throw new TypeError('a state machine definition is a JSON object');
  // A JSON round trip, not structuredClone: the library tells payload templates' nested objects
  // by their prototype (Object.prototype of its own realm), which a clone made by another realm
  // (structuredClone under jest's vm sandbox) does not have.
  const runnable = JSON.parse(JSON.stringify(definition)) as JsonObject;
  const tasks: LocalTaskState[] = [];
  const names = new Set<string>();
  for (const { states, scope } of stateMaps(runnable)) {
    for (const [name, state] of Object.entries(states)) {
      // The library finds local handlers by state name alone, nested states included; AWS
      // requires names unique across the whole machine anyway.
      if (names.has(name)) throw new TypeError(`state name ${name} is used twice`);
      names.add(name);
      if (!isObject(state) || state.Type !== 'Task') continue;
      const resource = typeof state.Resource === 'string' ? state.Resource : '';
      const callback = resource.endsWith(WAIT_FOR_TASK_TOKEN_SUFFIX);
      tasks.push({ name, resource, callback, ...(scope !== undefined ? { scope } : {}) });
      if (!callback) continue;
      const timing = timingTemplate(state);
      state.TimeoutSeconds = LIBRARY_TASK_TIMEOUT_SECONDS;
      const parameters = state.Parameters;
      state.Parameters = isObject(parameters)
        ? { ...parameters, [TIMING_FIELD]: timing }
        : parameters === undefined
          ? { [`${INPUT_FIELD}.$`]: '$', [TIMING_FIELD]: timing }
          : { [INPUT_FIELD]: parameters, [TIMING_FIELD]: timing };
    }
  }
  return { runnable, tasks };
}

/** Splits a callback handler's input into the task's Parameters and its timing. */
export function splitTaskInput(input: unknown): { parameters: unknown; timing: TaskTiming } {
  if (!isObject(input) || !isObject(input[TIMING_FIELD])) {
    throw new TypeError('a local callback task got no timing (was the definition prepared?)');
  }
  const { [TIMING_FIELD]: timing, ...rest } = input;
  return { parameters: INPUT_FIELD in rest ? rest[INPUT_FIELD] : rest, timing };
}

/** `value` with every string equal to `placeholder` replaced by `token` (the `$$.Task.Token`). */
export function withTaskToken(value: unknown, placeholder: string, token: string): unknown {
  if (value === placeholder) return token;
  if (Array.isArray(value)) return value.map((item) => withTaskToken(item, placeholder, token));
  if (isObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, withTaskToken(item, placeholder, token)]),
    );
  }
  return value;
}
