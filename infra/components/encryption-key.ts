import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { policyJson } from '../policies/policy-document';

export interface EncryptionKeyArgs {
  namePrefix: string;
  region: string;
  accountId: pulumi.Input<string>;
  /** Keep the key for 30 days after deletion instead of 7 (production). */
  protectData: boolean;
}

/** What the account (and through IAM, its principals) may do with the key: listed, no `kms:*`. */
const ACCOUNT_KEY_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListAliases',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:RetireGrant',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
];

/**
 * The stack's customer-managed key: RDS, ElastiCache, Secrets Manager, S3, ECR, CloudWatch Logs
 * and the alarm topic encrypt with it. Services other than Logs and CloudWatch alarms use it
 * through grants and `kms:ViaService` conditions in the callers' own policies.
 */
export class EncryptionKey extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: EncryptionKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:EncryptionKey', name, {}, opts);
    const { region, accountId } = args;
    const account = pulumi.interpolate`arn:aws:iam::${accountId}:root`;

    this.key = new aws.kms.Key(
      name,
      {
        description: `${args.namePrefix}: data at rest (database, cache, secrets, bucket, logs)`,
        enableKeyRotation: true,
        deletionWindowInDays: args.protectData ? 30 : 7,
        policy: policyJson([
          {
            Sid: 'AccountAdministersAndDelegatesThroughIam',
            Effect: 'Allow',
            Principal: { AWS: account },
            Action: ACCOUNT_KEY_ACTIONS,
            Resource: '*',
          },
          {
            Sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
            Effect: 'Allow',
            Principal: { Service: `logs.${region}.amazonaws.com` },
            Action: [
              'kms:Decrypt',
              'kms:DescribeKey',
              'kms:Encrypt',
              'kms:GenerateDataKey',
              'kms:GenerateDataKeyWithoutPlaintext',
              'kms:ReEncryptFrom',
              'kms:ReEncryptTo',
            ],
            Resource: '*',
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': pulumi.interpolate`arn:aws:logs:${region}:${accountId}:log-group:*`,
              },
            },
          },
          {
            Sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
          },
        ]),
      },
      { parent: this, protect: args.protectData },
    );
    new aws.kms.Alias(
      name,
      { name: `alias/${args.namePrefix}`, targetKeyId: this.key.keyId },
      { parent: this },
    );
    this.arn = this.key.arn;
    this.registerOutputs({ arn: this.arn });
  }
}
