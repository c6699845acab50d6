import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';

/** An offloaded output as it streams out of the bucket. */
export interface StoredOutput {
  stream: Readable;
  length: number | undefined;
}

/**
 * Reads step outputs the worker offloaded to the artifact bucket (its OutputStore writes them
 * as JSON under tenants/{tenant}/runs/{run}/steps/{seq}/output.json). Streams them: an output
 * can be far larger than what should be parsed in the API process.
 */
export class StepOutputStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** The object, or null when there is none under `key`. */
  async open(key: string): Promise<StoredOutput | null> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!(object.Body instanceof Readable)) throw new Error('S3 answered without a body stream');
      return { stream: object.Body, length: object.ContentLength };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }
}

function isMissing(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}
