import {
  GATEWAY_ERROR_CODES,
  type GatewayErrorBody,
  type GatewayErrorCode,
} from '@gnomon/contracts';

/** An error answered in the OpenAI error shape with one of the gateway's stable codes. */
export class GatewayError extends Error {
  readonly status: number;

  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly param: string | null = null,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'GatewayError';
    this.status = GATEWAY_ERROR_CODES[code].status;
  }

  body(requestId: string): GatewayErrorBody {
    return {
      error: {
        message: this.message,
        type: GATEWAY_ERROR_CODES[this.code].type,
        code: this.code,
        param: this.param,
        request_id: requestId,
      },
    };
  }
}
