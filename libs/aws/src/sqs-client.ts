import { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsServiceSettings } from './aws-endpoints';

/** An SQS client for AWS or a local SQS-compatible endpoint (fixed credentials there). */
export function createSqsClient(settings: AwsServiceSettings): SQSClient {
  return new SQSClient({
    region: settings.region,
    ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
    ...(settings.localCredentials ? { credentials: settings.localCredentials } : {}),
  });
}
