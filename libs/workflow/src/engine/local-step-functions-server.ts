import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { LocalWorkflowEngine } from './local-workflow-engine';
import {
  ExecutionAlreadyExistsError,
  ExecutionDoesNotExistError,
  InvalidTokenError,
  PayloadTooLargeError,
  TaskDoesNotExistError,
  TaskTimedOutError,
} from './workflow-engine.errors';

/**
 * A Step Functions-compatible HTTP endpoint over a {@link LocalWorkflowEngine}: the AWS JSON 1.0
 * protocol `@aws-sdk/client-sfn` speaks (`POST /`, `X-Amz-Target: AWSStepFunctions.<Operation>`,
 * `Content-Type: application/x-amz-json-1.0`), for the operations the platform uses. Every
 * process (control plane, worker) then drives runs through the same StepFunctionsWorkflowEngine
 * (`AWS_ENDPOINT_URL_SFN`) while one local process runs the executions. Errors are AWS JSON
 * errors, so the SDK raises its real exception classes. Requests are not authenticated (bind
 * it to loopback); unknown request fields are ignored, as the SDK may add some.
 */
export interface LocalStepFunctionsServerOptions {
  engine: LocalWorkflowEngine;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
}

export interface LocalStepFunctionsServer {
  /** e.g. `http://127.0.0.1:40123`, for `AWS_ENDPOINT_URL_SFN`. */
  endpoint: string;
  close(): Promise<void>;
}

const MAX_REQUEST_BYTES = 1024 * 1024;

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const Arn = z.string().min(1).max(2048);
const Token = z.string().min(1).max(2048);
const Requests = {
  StartExecution: z.object({
    stateMachineArn: Arn,
    name: z.string().optional(),
    input: z.string().optional(),
  }),
  StopExecution: z.object({
    executionArn: Arn,
    error: z.string().optional(),
    cause: z.string().optional(),
  }),
  DescribeExecution: z.object({ executionArn: Arn }),
  SendTaskSuccess: z.object({ taskToken: Token, output: z.string() }),
  SendTaskFailure: z.object({
    taskToken: Token,
    error: z.string().optional(),
    cause: z.string().optional(),
  }),
  SendTaskHeartbeat: z.object({ taskToken: Token }),
};
type Operation = keyof typeof Requests;

const epochSeconds = (date: Date) => date.getTime() / 1000;

function parseJson(text: string, type: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(type, `${what} is not valid JSON`);
  }
}

async function handle(
  engine: LocalWorkflowEngine,
  operation: Operation,
  body: unknown,
): Promise<object> {
  switch (operation) {
    case 'StartExecution': {
      const request = Requests.StartExecution.parse(body);
      if (request.stateMachineArn !== engine.stateMachineArn) {
        throw new ApiError(
          'StateMachineDoesNotExist',
          `State Machine Does Not Exist: '${request.stateMachineArn}'`,
        );
      }
      const input = parseJson(request.input ?? '{}', 'InvalidExecutionInput', 'input');
      const name = request.name ?? randomUUID();
      const started = await engine.startNamedExecution(name, input).catch((error: unknown) => {
        if (error instanceof TypeError) throw new ApiError('InvalidName', error.message);
        if (error instanceof PayloadTooLargeError) {
          throw new ApiError('InvalidExecutionInput', error.message);
        }
        throw error;
      });
      return { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) };
    }
    case 'StopExecution': {
      const request = Requests.StopExecution.parse(body);
      await engine.stopExecution(request.executionArn, request.cause, request.error);
      const { stopDate } = engine.executionRecord(request.executionArn);
      return { stopDate: epochSeconds(stopDate ?? new Date()) };
    }
    case 'DescribeExecution': {
      const { executionArn } = Requests.DescribeExecution.parse(body);
      const record = engine.executionRecord(executionArn);
      return {
        executionArn: record.executionArn,
        stateMachineArn: record.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: epochSeconds(record.startDate),
        ...(record.stopDate ? { stopDate: epochSeconds(record.stopDate) } : {}),
        input: record.input,
        inputDetails: { included: true },
        ...(record.output !== undefined
          ? { output: JSON.stringify(record.output), outputDetails: { included: true } }
          : {}),
        ...(record.error !== undefined ? { error: record.error } : {}),
        ...(record.cause !== undefined ? { cause: record.cause } : {}),
      };
    }
    case 'SendTaskSuccess': {
      const request = Requests.SendTaskSuccess.parse(body);
      const output = parseJson(request.output, 'InvalidOutput', 'output');
      await engine.sendTaskSuccess(request.taskToken, output);
      return {};
    }
    case 'SendTaskFailure': {
      const request = Requests.SendTaskFailure.parse(body);
      await engine.sendTaskFailure(request.taskToken, request.error ?? '', request.cause);
      return {};
    }
    case 'SendTaskHeartbeat': {
      const request = Requests.SendTaskHeartbeat.parse(body);
      await engine.sendTaskHeartbeat(request.taskToken);
      return {};
    }
  }
}

/** The port's errors → the AWS exception names the SDK knows. */
function apiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof z.ZodError) {
    return new ApiError('ValidationException', z.prettifyError(error));
  }
  const types: [new (...args: never[]) => Error, string][] = [
    [TaskTimedOutError, 'TaskTimedOut'],
    [TaskDoesNotExistError, 'TaskDoesNotExist'],
    [InvalidTokenError, 'InvalidToken'],
    [ExecutionAlreadyExistsError, 'ExecutionAlreadyExists'],
    [ExecutionDoesNotExistError, 'ExecutionDoesNotExist'],
    [PayloadTooLargeError, 'ValidationException'],
  ];
  for (const [ErrorClass, type] of types) {
    if (error instanceof ErrorClass) return new ApiError(type, error.message);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError('InternalServerError', message, 500);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) {
      throw new ApiError('ValidationException', `request body over ${MAX_REQUEST_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(response: ServerResponse, status: number, body: object): void {
  const json = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(json),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(json);
}

async function serve(
  engine: LocalWorkflowEngine,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  try {
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AWSStepFunctions.') ? target.slice(17) : '';
    if (request.method !== 'POST' || !Object.hasOwn(Requests, operation)) {
      throw new ApiError('UnknownOperationException', `unknown operation '${target}'`);
    }
    const text = await readBody(request);
    const body = parseJson(text || '{}', 'SerializationException', 'the request body');
    reply(response, 200, await handle(engine, operation as Operation, body));
  } catch (error) {
    const failure = apiError(error);
    reply(response, failure.status, {
      __type: `com.amazonaws.states#${failure.type}`,
      message: failure.message,
    });
  }
}

export async function startLocalStepFunctionsServer(
  options: LocalStepFunctionsServerOptions,
): Promise<LocalStepFunctionsServer> {
  const server = createServer((request, response) => {
    void serve(options.engine, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    endpoint: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
