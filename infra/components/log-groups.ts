import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export const APPS = [
  'control-plane',
  'llm-gateway',
  'orchestrator-worker',
  'tool-runtime',
] as const;
export type AppName = (typeof APPS)[number];

/** Log groups besides the apps': the migration task and the gateway's scraped metrics. */
export type LogStream = AppName | 'migration' | 'gateway-metrics';

export interface LogGroupsArgs {
  namePrefix: string;
  kmsKeyArn: pulumi.Input<string>;
  retentionDays: number;
}

/** `/gnomon/<stack>/<stream>`. */
export function logGroupName(namePrefix: string, stream: LogStream): string {
  return `/${namePrefix.replace(/^gnomon-/, 'gnomon/')}/${stream}`;
}

/**
 * One log group per service (JSON lines from pino), for the migration task and for the
 * CloudWatch agent's embedded-metric records: retention from the stack, encrypted with the key.
 */
export class LogGroups extends pulumi.ComponentResource {
  readonly groups: Record<LogStream, aws.cloudwatch.LogGroup>;

  constructor(name: string, args: LogGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:LogGroups', name, {}, opts);
    const streams: LogStream[] = [...APPS, 'migration', 'gateway-metrics'];
    this.groups = Object.fromEntries(
      streams.map((stream) => [
        stream,
        new aws.cloudwatch.LogGroup(
          `${name}-${stream}`,
          {
            name: logGroupName(args.namePrefix, stream),
            retentionInDays: args.retentionDays,
            kmsKeyId: args.kmsKeyArn,
          },
          { parent: this },
        ),
      ]),
    ) as Record<LogStream, aws.cloudwatch.LogGroup>;
    this.registerOutputs({});
  }

  name(stream: LogStream): pulumi.Output<string> {
    return this.groups[stream].name;
  }

  arn(stream: LogStream): pulumi.Output<string> {
    return this.groups[stream].arn;
  }
}
