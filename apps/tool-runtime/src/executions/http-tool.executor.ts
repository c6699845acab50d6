import type { HttpRequestTemplate, ToolExecutionStatus, ToolLimits } from '@gnomon/contracts';
import { renderHttpRequest, TemplateError } from '@gnomon/tools';
import { EgressDenied, EgressFailed, HostAllowlist, type EgressClient } from '../egress';

export interface HttpToolOutcome {
  status: ToolExecutionStatus;
  output: unknown;
  error: { message: string } | null;
}

const KEPT_RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'etag',
  'last-modified',
  'location',
];

/**
 * The `http` tool kind: one request from a template, through the same egress policy as
 * sandboxed code, without starting a sandbox. With no `allowNet`, the template's own literal
 * host is the allowlist; a template whose host is a placeholder must list its hosts.
 */
export class HttpToolExecutor {
  constructor(private readonly egress: EgressClient) {}

  async execute(
    template: HttpRequestTemplate,
    allowNet: readonly string[],
    input: unknown,
    limits: ToolLimits,
  ): Promise<HttpToolOutcome> {
    let rendered;
    try {
      rendered = renderHttpRequest(template, input);
    } catch (error) {
      if (error instanceof TemplateError || error instanceof TypeError)
        return failed('FAILED', `request template: ${error.message}`);
      throw error;
    }
    const allowlist = HostAllowlist.from(allowNet.length > 0 ? allowNet : literalHostOf(template));
    try {
      const response = await this.egress.request({
        url: rendered.url,
        method: rendered.method,
        headers: rendered.headers,
        body: rendered.body,
        allowlist,
        followRedirects: true,
        timeoutMs: limits.timeoutMs,
        maxResponseBytes: limits.outputBytes,
      });
      const contentType = String(response.headers['content-type'] ?? '');
      const text = response.body.toString('utf8');
      let body: unknown = text;
      if (/\bjson\b/i.test(contentType) && text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          return failed('FAILED', `the response says ${contentType} but is not valid JSON`);
        }
      }
      const headers = Object.fromEntries(
        KEPT_RESPONSE_HEADERS.filter((h) => response.headers[h] !== undefined).map((h) => [
          h,
          String(response.headers[h]),
        ]),
      );
      const output = { status: response.status, headers, body };
      if (response.status >= 400) {
        return {
          status: 'FAILED',
          output,
          error: { message: `${rendered.method} ${response.url} answered ${response.status}` },
        };
      }
      return { status: 'SUCCEEDED', output, error: null };
    } catch (error) {
      if (error instanceof EgressDenied) return failed('EGRESS_DENIED', error.message);
      if (error instanceof EgressFailed) {
        if (error.code === 'timeout') return failed('TIMEOUT', error.message);
        if (error.code === 'response_too_large') return failed('OUTPUT_LIMIT', error.message);
        return failed('FAILED', error.message);
      }
      throw error;
    }
  }
}

function literalHostOf(template: HttpRequestTemplate): string[] {
  try {
    const url = new URL(template.url);
    return url.hostname.includes('{') ? [] : [url.host];
  } catch {
    return [];
  }
}

function failed(status: ToolExecutionStatus, message: string): HttpToolOutcome {
  return { status, output: null, error: { message } };
}
