import { NoProviderAvailableError } from '@gnomon/governance';
import { ProviderError } from '@gnomon/llm';
import { GatewayError } from '../platform/gateway-error';

/** How an upstream failure is reported to the client (OpenAI error shape). */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof ProviderError) {
    if (error.fault === 'bad_request')
      return new GatewayError(
        'invalid_request',
        `the provider rejected the request: ${error.message}`,
      );
    return new GatewayError(
      'provider_unavailable',
      `no provider could serve the request (last: ${error.message})`,
    );
  }
  if (error instanceof NoProviderAvailableError) {
    return new GatewayError(
      'provider_unavailable',
      'every provider of this route is unavailable (circuit open or cooling down)',
    );
  }
  return new GatewayError('internal_error', 'unexpected gateway error');
}

export function errorCodeOf(error: unknown): string {
  return toGatewayError(error).code;
}
