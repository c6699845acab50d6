import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { renderRunStateMachine } from '@gnomon/workflow';
import { policyJson, serviceTrustPolicy } from '../policies/policy-document';

export interface RunStateMachineArgs {
  namePrefix: string;
  region: string;
  accountId: pulumi.Input<string>;
  stepQueueUrl: pulumi.Input<string>;
  stepQueueArn: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  logRetentionDays: number;
  logLevel: 'ALL' | 'ERROR' | 'FATAL';
}

/** Log delivery to CloudWatch Logs: these actions take no resource ARNs (AWS requires `*`). */
const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'logs:GetLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:UpdateLogDelivery',
];
const XRAY_ACTIONS = [
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];

/**
 * The run lifecycle state machine with the exact definition `libs/workflow` renders (the same
 * JSON the local engine runs), logging to its own log group and tracing with X-Ray. Its role
 * may send to the step queue and start new executions of this machine (continue-as-new), and
 * nothing else besides log delivery and tracing.
 */
export class RunStateMachine extends pulumi.ComponentResource {
  readonly stateMachine: aws.sfn.StateMachine;
  readonly arn: pulumi.Output<string>;
  readonly name: string;
  readonly logGroupName: pulumi.Output<string>;
  /** The definition as deployed (for tests and `pulumi stack output`). */
  readonly definition: pulumi.Output<string>;

  constructor(name: string, args: RunStateMachineArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:RunStateMachine', name, {}, opts);
    const parent = { parent: this };
    this.name = `${args.namePrefix}-runs`;
    // The role names the machine's ARN before the machine exists (it starts itself).
    const ownArn = pulumi.interpolate`arn:aws:states:${args.region}:${args.accountId}:stateMachine:${this.name}`;

    // The /aws/vendedlogs/ prefix keeps Step Functions from growing the account's log resource policy.
    const logGroup = new aws.cloudwatch.LogGroup(
      name,
      {
        name: `/aws/vendedlogs/states/${this.name}`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.kmsKeyArn,
      },
      parent,
    );
    const role = new aws.iam.Role(
      name,
      {
        description: `${this.name}: send step messages, continue as new, log, trace`,
        assumeRolePolicy: serviceTrustPolicy('states.amazonaws.com', args.accountId),
      },
      parent,
    );
    const rolePolicy = new aws.iam.RolePolicy(
      name,
      {
        role: role.id,
        policy: policyJson([
          {
            Sid: 'SendStepMessages',
            Effect: 'Allow',
            Action: ['sqs:SendMessage'],
            Resource: [args.stepQueueArn],
          },
          {
            Sid: 'ContinueAsNew',
            Effect: 'Allow',
            Action: ['states:StartExecution'],
            Resource: [ownArn],
          },
          { Sid: 'DeliverLogs', Effect: 'Allow', Action: LOG_DELIVERY_ACTIONS, Resource: '*' },
          { Sid: 'Trace', Effect: 'Allow', Action: XRAY_ACTIONS, Resource: '*' },
        ]),
      },
      parent,
    );

    this.definition = pulumi
      .output(args.stepQueueUrl)
      .apply((url) => renderRunStateMachine({ stepQueueUrl: url }));
    this.stateMachine = new aws.sfn.StateMachine(
      name,
      {
        name: this.name,
        type: 'STANDARD',
        roleArn: role.arn,
        definition: this.definition,
        loggingConfiguration: {
          level: args.logLevel,
          includeExecutionData: true,
          logDestination: pulumi.interpolate`${logGroup.arn}:*`,
        },
        tracingConfiguration: { enabled: true },
      },
      { parent: this, dependsOn: [rolePolicy] },
    );
    this.arn = this.stateMachine.arn;
    this.logGroupName = logGroup.name;
    this.registerOutputs({ arn: this.arn });
  }
}
