import { S3Client } from '@aws-sdk/client-s3';
import type { AwsServiceSettings } from './aws-endpoints';

/**
 * An S3 client that works against AWS and against local S3-compatible emulators: those need
 * path-style addressing (no bucket sub-domains on 127.0.0.1) and only the checksums S3
 * itself requires (the SDK's default CRC32 trailers are not understood by every emulator).
 */
export function createS3Client(settings: AwsServiceSettings): S3Client {
  const local = settings.endpoint !== undefined;
  return new S3Client({
    region: settings.region,
    ...(local
      ? {
          endpoint: settings.endpoint,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
          ...(settings.localCredentials ? { credentials: settings.localCredentials } : {}),
        }
      : {}),
  });
}
