import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeRequest } from './fake-script';

/** Reads a request as the fakes record it (body parsed as JSON when it is JSON). */
export async function readFakeRequest(req: IncomingMessage): Promise<FakeRequest> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const rawBody = Buffer.concat(parts).toString('utf8');
  let body: unknown;
  try {
    body = rawBody === '' ? undefined : JSON.parse(rawBody);
  } catch {
    body = undefined;
  }
  return {
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers: req.headers,
    body,
    rawBody,
    receivedAt: Date.now(),
  };
}

/** A JSON answer with an exact content length (the providers' own content type by default). */
export function sendFakeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}
