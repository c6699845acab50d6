import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { StepOutputRecord } from '@gnomon/runs';

/** Outputs above this many bytes of JSON live in S3; the database keeps the key. */
export const INLINE_OUTPUT_BYTES = 32 * 1024;

export interface PlacedOutput {
  output: unknown;
  outputRef: string | null;
}

/**
 * Where step outputs live: inline in Postgres up to 32 KiB, in S3 above (under the run's
 * prefix, next to the tool artifacts). Templates see the full value either way.
 */
export class OutputStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async place(tenantId: string, runId: string, seq: number, value: unknown): Promise<PlacedOutput> {
    const json = JSON.stringify(value ?? null);
    if (Buffer.byteLength(json, 'utf8') <= INLINE_OUTPUT_BYTES)
      return { output: value, outputRef: null };
    const key = `tenants/${tenantId}/runs/${runId}/steps/${seq}/output.json`;
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: json,
        ContentType: 'application/json',
      }),
    );
    return { output: null, outputRef: key };
  }

  /** The outputs templates see, offloaded ones read back from S3. */
  async resolve(
    records: Record<string, StepOutputRecord>,
  ): Promise<Record<string, { output: unknown }>> {
    const resolved: Record<string, { output: unknown }> = {};
    for (const [stepKey, record] of Object.entries(records)) {
      resolved[stepKey] = {
        output:
          record.outputRef && record.output === null
            ? await this.read(record.outputRef)
            : record.output,
      };
    }
    return resolved;
  }

  private async read(key: string): Promise<unknown> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return JSON.parse((await object.Body?.transformToString('utf8')) ?? 'null');
  }
}
