import { createReadStream } from 'node:fs';
import path from 'node:path';
import { HeadBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ToolArtifact } from '@gnomon/contracts';

/** Where an execution's scratch files go: one S3 prefix per tenant, run and step. */
export interface ArtifactScope {
  tenantId: string;
  runId: string;
  stepId: string;
  executionId: string;
}

export interface ScratchFile {
  path: string;
  relativePath: string;
  size: number;
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.xml': 'application/xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
};

export function artifactPrefix(scope: ArtifactScope): string {
  return `tenants/${scope.tenantId}/runs/${scope.runId}/steps/${scope.stepId}/${scope.executionId}/`;
}

/** Uploads a tool's scratch files to S3 (the only AWS service the tool runtime talks to). */
export class ArtifactStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async upload(scope: ArtifactScope, files: readonly ScratchFile[]): Promise<ToolArtifact[]> {
    const prefix = artifactPrefix(scope);
    const artifacts: ToolArtifact[] = [];
    for (const file of files) {
      const key = prefix + file.relativePath.split(path.sep).join('/');
      const contentType =
        CONTENT_TYPES[path.extname(file.relativePath).toLowerCase()] ?? 'application/octet-stream';
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: createReadStream(file.path),
          ContentLength: file.size,
          ContentType: contentType,
          Metadata: { 'gnomon-tenant': scope.tenantId, 'gnomon-execution': scope.executionId },
        }),
      );
      artifacts.push({ key, size: file.size, contentType });
    }
    return artifacts;
  }

  /** For /readyz: the bucket exists and our credentials reach it. */
  async check(): Promise<string> {
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return 'ok';
    } catch (error) {
      return `unreachable (${error instanceof Error ? error.name : 'error'})`;
    }
  }
}
