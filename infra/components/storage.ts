import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { denyInsecureTransport, policyJson } from '../policies/policy-document';

export interface ArtifactBucketArgs {
  namePrefix: string;
  accountId: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  /** Current objects expire after this many days; null keeps them. */
  expirationDays: number | null;
  /** Refuse `pulumi destroy` and never empty the bucket on deletion. */
  protectData: boolean;
}

/** Every object lives under `tenants/{tenantId}/runs/{runId}/steps/…` (artifacts, offloaded outputs). */
export const TENANT_PREFIX = 'tenants/';

/**
 * The bucket for offloaded step outputs and tool artifacts: versioned, SSE-KMS with the stack
 * key (bucket keys on), every kind of public access blocked, ACLs disabled, TLS-only, and
 * lifecycle rules that tier, expire and clean up.
 */
export class ArtifactBucket extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: ArtifactBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:ArtifactBucket', name, {}, opts);
    const parent = { parent: this };

    this.bucket = new aws.s3.Bucket(
      name,
      {
        // Bucket names are global: the account id keeps them unique.
        bucket: pulumi.interpolate`${args.namePrefix}-artifacts-${args.accountId}`,
        forceDestroy: !args.protectData,
      },
      { parent: this, protect: args.protectData },
    );
    const bucket = this.bucket.id;
    new aws.s3.BucketOwnershipControls(
      name,
      { bucket, rule: { objectOwnership: 'BucketOwnerEnforced' } },
      parent,
    );
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      name,
      {
        bucket,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      parent,
    );
    new aws.s3.BucketVersioning(
      name,
      { bucket, versioningConfiguration: { status: 'Enabled' } },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      name,
      {
        bucket,
        rules: [
          {
            applyServerSideEncryptionByDefault: {
              sseAlgorithm: 'aws:kms',
              kmsMasterKeyId: args.kmsKeyArn,
            },
            bucketKeyEnabled: true,
          },
        ],
      },
      parent,
    );
    new aws.s3.BucketLifecycleConfiguration(
      name,
      {
        bucket,
        rules: [
          {
            id: 'tier-tenant-objects',
            status: 'Enabled',
            filter: { prefix: TENANT_PREFIX },
            transitions: [{ days: 30, storageClass: 'STANDARD_IA' }],
            ...(args.expirationDays !== null ? { expiration: { days: args.expirationDays } } : {}),
          },
          {
            id: 'expire-old-versions',
            status: 'Enabled',
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: 30 },
          },
          {
            id: 'abort-incomplete-uploads',
            status: 'Enabled',
            filter: {},
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
            expiration: { expiredObjectDeleteMarker: true },
          },
        ],
      },
      parent,
    );
    new aws.s3.BucketPolicy(
      name,
      {
        bucket,
        policy: policyJson([
          denyInsecureTransport(
            ['s3:*'],
            [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`],
          ),
        ]),
      },
      { parent: this, dependsOn: [publicAccess] },
    );
    this.name = this.bucket.bucket;
    this.arn = this.bucket.arn;
    this.registerOutputs({ name: this.name });
  }
}
