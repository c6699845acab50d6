import { z } from 'zod';

const OptionalUrl = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
  z.url().optional(),
);

/**
 * Where the AWS services are: real AWS by default (region + the SDK's credential chain), or
 * a local SQS/S3-compatible endpoint when `AWS_ENDPOINT_URL` (or a per-service
 * `AWS_ENDPOINT_URL_<SERVICE>`, the SDK's own names) is set — `npm start` sets one.
 */
export const AwsEnv = z.object({
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ENDPOINT_URL: OptionalUrl,
  AWS_ENDPOINT_URL_S3: OptionalUrl,
  AWS_ENDPOINT_URL_SQS: OptionalUrl,
  AWS_ENDPOINT_URL_SFN: OptionalUrl,
  AWS_ACCESS_KEY_ID: z.string().optional(),
});
export type AwsEnv = z.infer<typeof AwsEnv>;

export type AwsService = 'S3' | 'SQS' | 'SFN';

export interface AwsServiceSettings {
  region: string;
  /** Set for a local emulator; undefined means the SDK's regional AWS endpoint. */
  endpoint: string | undefined;
  /** Local emulators accept any key; they get a fixed one when the environment has none. */
  localCredentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

export function awsServiceSettings(env: AwsEnv, service: AwsService): AwsServiceSettings {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  const localCredentials =
    endpoint !== undefined && !env.AWS_ACCESS_KEY_ID
      ? { accessKeyId: 'local', secretAccessKey: 'local' }
      : undefined;
  return { region: env.AWS_REGION, endpoint, localCredentials };
}
