import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { policyJson, serviceTrustPolicy } from '../policies/policy-document';
import type { ContainerSpec } from './container';
import { fargateTaskDefinition } from './fargate-service';

export interface MigrationRunnerArgs {
  namePrefix: string;
  region: string;
  accountId: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  logRetentionDays: number;
  clusterArn: pulumi.Input<string>;
  cpuArchitecture: 'X86_64' | 'ARM64';
  container: ContainerSpec;
  executionRole: aws.iam.Role;
  subnetIds: pulumi.Input<string>[];
  securityGroupId: pulumi.Input<string>;
  /** What must exist before the task can run (the database, the secret values). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
  /** Values whose change runs the task again (the versions of the secrets it reads). */
  rerunOn: Record<string, pulumi.Input<string>>;
}

/** `db:migrate`, then the services' login role (release/app-login.mjs), in the control-plane image. */
export const MIGRATION_COMMAND = [
  'sh',
  '-c',
  'node dist/libs/db/src/migrations/migrate.cli.js && node release/app-login.mjs',
];

/**
 * Starts the migration task and waits for it: fails (and so fails `pulumi up`) unless the
 * container exits 0. Runs in Lambda because Pulumi has no built-in "run a task" step; AWS SDK
 * v3 ships with the Node.js runtime.
 */
const RUNNER_SOURCE = `
import { DescribeTasksCommand, ECSClient, RunTaskCommand, waitUntilTasksStopped } from '@aws-sdk/client-ecs';
const ecs = new ECSClient({});
export const handler = async (event) => {
  const { cluster, taskDefinition, subnets, securityGroups, container } = event;
  const started = await ecs.send(new RunTaskCommand({
    cluster, taskDefinition, launchType: 'FARGATE', count: 1, startedBy: 'gnomon-migrate',
    networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups, assignPublicIp: 'DISABLED' } },
  }));
  const taskArn = started.tasks?.[0]?.taskArn;
  if (!taskArn) throw new Error('RunTask failed: ' + JSON.stringify(started.failures ?? []));
  await waitUntilTasksStopped({ client: ecs, maxWaitTime: 840, minDelay: 6 }, { cluster, tasks: [taskArn] });
  const { tasks } = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
  const task = tasks?.[0];
  const exitCode = task?.containers?.find((c) => c.name === container)?.exitCode;
  if (exitCode !== 0) {
    throw new Error('migration task ' + taskArn + ' ended with exit code ' + exitCode + ' (' +
      (task?.stoppedReason ?? 'no reason') + '); its log is in the migration log group');
  }
  return { taskArn, exitCode };
};
`;

/**
 * The one-off migration: a task definition running MIGRATION_COMMAND with the owner's database
 * URL, and a Lambda invoked on every `pulumi up` whose task definition changed (a new image). The
 * services depend on the invocation, so they roll only after the schema is migrated.
 */
export class MigrationRunner extends pulumi.ComponentResource {
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly invocation: aws.lambda.Invocation;
  readonly functionName: string;
  /** The runner's event (cluster, task definition, network): run it again by hand with it. */
  readonly payload: pulumi.Output<string>;

  constructor(name: string, args: MigrationRunnerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:MigrationRunner', name, {}, opts);
    const parent = { parent: this };
    const family = `${args.namePrefix}-migrate`;
    this.functionName = `${args.namePrefix}-run-migration`;

    this.taskDefinition = fargateTaskDefinition(
      name,
      {
        family,
        region: args.region,
        cpu: 256,
        memory: 512,
        cpuArchitecture: args.cpuArchitecture,
        containers: [{ ...args.container, command: MIGRATION_COMMAND }],
        executionRoleArn: args.executionRole.arn,
      },
      parent,
    );

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-runner`,
      {
        name: `/aws/lambda/${this.functionName}`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.kmsKeyArn,
      },
      parent,
    );
    const role = new aws.iam.Role(
      `${name}-runner`,
      {
        description: `${this.functionName}: run the migration task and wait for it`,
        assumeRolePolicy: serviceTrustPolicy('lambda.amazonaws.com', args.accountId),
      },
      parent,
    );
    const taskPattern = pulumi.interpolate`arn:aws:ecs:${args.region}:${args.accountId}:task/${args.namePrefix}/*`;
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-runner`,
      {
        role: role.id,
        policy: policyJson([
          {
            Sid: 'RunTheMigrationTask',
            Effect: 'Allow',
            Action: ['ecs:RunTask'],
            Resource: [
              pulumi.interpolate`arn:aws:ecs:${args.region}:${args.accountId}:task-definition/${family}:*`,
            ],
            Condition: { ArnEquals: { 'ecs:cluster': args.clusterArn } },
          },
          {
            Sid: 'WatchTheMigrationTask',
            Effect: 'Allow',
            Action: ['ecs:DescribeTasks'],
            Resource: [taskPattern],
          },
          {
            Sid: 'PassTheTaskItsExecutionRole',
            Effect: 'Allow',
            Action: ['iam:PassRole'],
            Resource: [args.executionRole.arn],
            Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
          },
          {
            Sid: 'WriteRunnerLogs',
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: [pulumi.interpolate`${logGroup.arn}:*`],
          },
        ]),
      },
      parent,
    );
    const runner = new aws.lambda.Function(
      `${name}-runner`,
      {
        name: this.functionName,
        description: 'Runs the Gnomon migration task before services roll (pulumi up)',
        runtime: aws.lambda.Runtime.NodeJS22dX,
        handler: 'index.handler',
        role: role.arn,
        timeout: 900,
        memorySize: 256,
        code: new pulumi.asset.AssetArchive({
          'index.mjs': new pulumi.asset.StringAsset(RUNNER_SOURCE),
        }),
        loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
      },
      { parent: this, dependsOn: [rolePolicy] },
    );
    this.payload = pulumi.jsonStringify({
      cluster: args.clusterArn,
      taskDefinition: this.taskDefinition.arn,
      subnets: args.subnetIds,
      securityGroups: [args.securityGroupId],
      container: args.container.name,
    });
    this.invocation = new aws.lambda.Invocation(
      name,
      {
        functionName: runner.name,
        input: this.payload,
        // A new task definition revision (new image or settings) runs the migration again, and
        // so does a new app password (the task sets it on the login role).
        triggers: { taskDefinition: this.taskDefinition.arn, ...args.rerunOn },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.registerOutputs({ taskDefinitionArn: this.taskDefinition.arn });
  }
}
