import { SFNClient } from '@aws-sdk/client-sfn';
import type { AwsServiceSettings } from './aws-endpoints';

/**
 * A Step Functions client for AWS or for the local engine's Step Functions-compatible
 * endpoint (`AWS_ENDPOINT_URL_SFN`; fixed credentials there).
 */
export function createSfnClient(settings: AwsServiceSettings): SFNClient {
  return new SFNClient({
    region: settings.region,
    ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
    ...(settings.localCredentials ? { credentials: settings.localCredentials } : {}),
  });
}
