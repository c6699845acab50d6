import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { policyJson, serviceTrustPolicy, type PolicyStatement } from '../policies/policy-document';
import type { AppName } from './log-groups';

export type Workload = AppName | 'migration';

export interface ServiceRolesArgs {
  namePrefix: string;
  region: string;
  accountId: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  stateMachineArn: pulumi.Input<string>;
  stateMachineName: string;
  stepQueueArn: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  /** ECR repository ARN each workload pulls its image from. */
  repositoryArns: Record<Workload, pulumi.Input<string>>;
  /** Log groups each workload's containers write to (the awslogs driver). */
  logGroupArns: Record<Workload, pulumi.Input<string>[]>;
  /** Log group the gateway's CloudWatch agent writes embedded-metric records to. */
  gatewayMetricsLogGroupArn: pulumi.Input<string>;
  /** Secrets Manager ARNs injected into each workload. */
  secretArns: Record<Workload, pulumi.Input<string>[]>;
}

/** Object keys the worker writes and reads: offloaded step outputs only. */
export const OUTPUT_KEYS = 'tenants/*/runs/*/steps/*/output.json';
/** Object keys the tool runtime writes: `tenants/{t}/runs/{r}/steps/{s}/{execution}/…`. */
export const ARTIFACT_KEYS = 'tenants/*/runs/*/steps/*';

/**
 * One execution role (pull the image, write logs, read this workload's secrets) and one task
 * role (what the application itself calls) per workload, each listing exact actions on exact
 * resources. The migration task calls no AWS API, so it has no task role.
 */
export class ServiceRoles extends pulumi.ComponentResource {
  readonly executionRoles: Record<Workload, aws.iam.Role>;
  readonly taskRoles: Record<AppName, aws.iam.Role>;

  constructor(name: string, args: ServiceRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:ServiceRoles', name, {}, opts);
    const { region, accountId } = args;
    const executionArn = pulumi.interpolate`arn:aws:states:${region}:${accountId}:execution:${args.stateMachineName}:*`;
    const viaService = (service: string) => ({
      StringEquals: { 'kms:ViaService': `${service}.${region}.amazonaws.com` },
    });

    const taskStatements: Record<AppName, PolicyStatement[]> = {
      'control-plane': [
        {
          Sid: 'StartRunsAndDeliverApprovalDecisions',
          Effect: 'Allow',
          Action: ['states:SendTaskSuccess', 'states:StartExecution'],
          Resource: [args.stateMachineArn],
        },
        {
          Sid: 'CancelRuns',
          Effect: 'Allow',
          Action: ['states:StopExecution'],
          Resource: [executionArn],
        },
        {
          Sid: 'ReadOffloadedOutputs',
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: [pulumi.interpolate`${args.bucketArn}/${OUTPUT_KEYS}`],
        },
        {
          // Without it S3 answers a missing (e.g. expired) output with 403 instead of 404.
          Sid: 'TellMissingOutputsFromForbiddenOnes',
          Effect: 'Allow',
          Action: ['s3:ListBucket'],
          Resource: [args.bucketArn],
        },
        {
          Sid: 'DecryptOffloadedOutputs',
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: [args.kmsKeyArn],
          Condition: viaService('s3'),
        },
      ],
      'llm-gateway': [
        {
          Sid: 'ShipScrapedMetrics',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
          Resource: [
            args.gatewayMetricsLogGroupArn,
            pulumi.interpolate`${args.gatewayMetricsLogGroupArn}:*`,
          ],
        },
      ],
      'orchestrator-worker': [
        {
          Sid: 'ConsumeStepMessages',
          Effect: 'Allow',
          Action: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:ReceiveMessage'],
          Resource: [args.stepQueueArn],
        },
        {
          Sid: 'AnswerTaskTokens',
          Effect: 'Allow',
          Action: ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'],
          Resource: [args.stateMachineArn],
        },
        {
          Sid: 'OffloadStepOutputs',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject'],
          Resource: [pulumi.interpolate`${args.bucketArn}/${OUTPUT_KEYS}`],
        },
        {
          Sid: 'EncryptOffloadedOutputs',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: [args.kmsKeyArn],
          Condition: viaService('s3'),
        },
      ],
      'tool-runtime': [
        {
          Sid: 'UploadArtifacts',
          Effect: 'Allow',
          Action: ['s3:PutObject'],
          Resource: [pulumi.interpolate`${args.bucketArn}/${ARTIFACT_KEYS}`],
        },
        {
          // HeadBucket (the /readyz check) is authorized as s3:ListBucket; no object is readable.
          Sid: 'CheckArtifactBucket',
          Effect: 'Allow',
          Action: ['s3:ListBucket'],
          Resource: [args.bucketArn],
        },
        {
          Sid: 'EncryptArtifacts',
          Effect: 'Allow',
          Action: ['kms:GenerateDataKey'],
          Resource: [args.kmsKeyArn],
          Condition: viaService('s3'),
        },
      ],
    };

    const role = (id: string, description: string, statements: PolicyStatement[]) => {
      const created = new aws.iam.Role(
        id,
        {
          description,
          assumeRolePolicy: serviceTrustPolicy('ecs-tasks.amazonaws.com', accountId),
        },
        { parent: this },
      );
      new aws.iam.RolePolicy(
        id,
        { role: created.id, policy: policyJson(statements) },
        { parent: this },
      );
      return created;
    };

    this.taskRoles = Object.fromEntries(
      (Object.entries(taskStatements) as [AppName, PolicyStatement[]][]).map(
        ([app, statements]) => [
          app,
          role(
            `${name}-${app}-task`,
            `${args.namePrefix} ${app}: what the application calls`,
            statements,
          ),
        ],
      ),
    ) as Record<AppName, aws.iam.Role>;

    const workloads: Workload[] = [
      'control-plane',
      'llm-gateway',
      'orchestrator-worker',
      'tool-runtime',
      'migration',
    ];
    this.executionRoles = Object.fromEntries(
      workloads.map((workload) => {
        const statements: PolicyStatement[] = [
          {
            Sid: 'AuthenticateToEcr',
            Effect: 'Allow',
            Action: ['ecr:GetAuthorizationToken'],
            Resource: '*',
          },
          {
            Sid: 'PullImage',
            Effect: 'Allow',
            Action: [
              'ecr:BatchCheckLayerAvailability',
              'ecr:BatchGetImage',
              'ecr:GetDownloadUrlForLayer',
            ],
            Resource: [args.repositoryArns[workload]],
          },
          {
            Sid: 'WriteContainerLogs',
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: args.logGroupArns[workload].map((arn) => pulumi.interpolate`${arn}:*`),
          },
        ];
        if (args.secretArns[workload].length > 0) {
          statements.push(
            {
              Sid: 'ReadInjectedSecrets',
              Effect: 'Allow',
              Action: ['secretsmanager:GetSecretValue'],
              Resource: args.secretArns[workload],
            },
            {
              Sid: 'DecryptInjectedSecrets',
              Effect: 'Allow',
              Action: ['kms:Decrypt'],
              Resource: [args.kmsKeyArn],
              Condition: viaService('secretsmanager'),
            },
          );
        }
        return [
          workload,
          role(
            `${name}-${workload}-execution`,
            `${args.namePrefix} ${workload}: start the task (image, logs, secrets)`,
            statements,
          ),
        ];
      }),
    ) as Record<Workload, aws.iam.Role>;
    this.registerOutputs({});
  }
}
