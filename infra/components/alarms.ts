import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import {
  BREAKER_STATE_METRIC,
  BUDGET_ALERT_LOG_PATTERN,
  BUDGET_ALERT_METRIC,
  GATEWAY_METRICS_NAMESPACE,
} from './gateway-metrics';
import type { PublicApi } from './load-balancer';

export interface PlatformAlarmsArgs {
  namePrefix: string;
  stack: string;
  kmsKeyArn: pulumi.Input<string>;
  alarmEmail?: string;
  deadLetterQueueName: pulumi.Input<string>;
  loadBalancerArnSuffix: pulumi.Input<string>;
  targetGroupArnSuffixes: Record<PublicApi, pulumi.Input<string>>;
  /** The gateway's log group, where budget-alert lines land. */
  gatewayLogGroupName: pulumi.Input<string>;
  /** Percent of requests answered 5xx over 5 minutes that pages someone. */
  errorRatePercent?: number;
}

/** The namespace of metrics derived from this stack's logs (stacks may share an account). */
export function logMetricsNamespace(stack: string): string {
  return `Gnomon/${stack}`;
}

/**
 * The alarms operators act on, all to one encrypted SNS topic (with an e-mail subscription
 * when the stack names an address): a message in the dead-letter queue, a 5xx rate per public
 * service, a provider breaker open, and a tenant crossing a budget soft threshold.
 */
export class PlatformAlarms extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;

  constructor(name: string, args: PlatformAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:PlatformAlarms', name, {}, opts);
    const parent = { parent: this };
    this.topic = new aws.sns.Topic(
      name,
      { name: `${args.namePrefix}-alarms`, kmsMasterKeyId: args.kmsKeyArn },
      parent,
    );
    if (args.alarmEmail) {
      new aws.sns.TopicSubscription(
        `${name}-email`,
        { topic: this.topic.arn, protocol: 'email', endpoint: args.alarmEmail },
        parent,
      );
    }
    const notify = { alarmActions: [this.topic.arn], okActions: [this.topic.arn] };
    const alarm = (id: string, alarmArgs: aws.cloudwatch.MetricAlarmArgs) =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${id}`,
        {
          name: `${args.namePrefix}-${id}`,
          treatMissingData: 'notBreaching',
          ...notify,
          ...alarmArgs,
        },
        parent,
      );

    alarm('dead-letters', {
      alarmDescription:
        'A step message failed maxReceiveCount times and sits in the dead-letter queue (docs/deploy.md#dead-letters)',
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: args.deadLetterQueueName },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
    });

    const errorRate = args.errorRatePercent ?? 5;
    for (const [api, targetGroup] of Object.entries(args.targetGroupArnSuffixes) as [
      PublicApi,
      pulumi.Input<string>,
    ][]) {
      const dimensions = { LoadBalancer: args.loadBalancerArnSuffix, TargetGroup: targetGroup };
      const count = (
        id: string,
        metricName: string,
      ): aws.types.input.cloudwatch.MetricAlarmMetricQuery => ({
        id,
        returnData: false,
        metric: {
          namespace: 'AWS/ApplicationELB',
          metricName,
          dimensions,
          stat: 'Sum',
          period: 300,
        },
      });
      alarm(`${api === 'controlPlane' ? 'api' : 'llm'}-5xx-rate`, {
        alarmDescription: `More than ${errorRate}% of ${api} requests answered 5xx over 5 minutes`,
        metricQueries: [
          count('errors', 'HTTPCode_Target_5XX_Count'),
          count('requests', 'RequestCount'),
          {
            id: 'rate',
            label: '5xx percent',
            expression: 'IF(requests > 0, 100 * errors / requests, 0)',
            returnData: true,
          },
        ],
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        threshold: errorRate,
        comparisonOperator: 'GreaterThanThreshold',
      });
    }

    alarm('provider-breaker-open', {
      alarmDescription:
        'A model provider circuit breaker has been open for 2 minutes (gnomon_provider_breaker_state{state="open"})',
      namespace: GATEWAY_METRICS_NAMESPACE,
      metricName: BREAKER_STATE_METRIC,
      dimensions: { stack: args.stack, state: 'open' },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
    });

    new aws.cloudwatch.LogMetricFilter(
      `${name}-budget-alerts`,
      {
        name: `${args.namePrefix}-budget-soft-threshold`,
        logGroupName: args.gatewayLogGroupName,
        pattern: BUDGET_ALERT_LOG_PATTERN,
        metricTransformation: {
          namespace: logMetricsNamespace(args.stack),
          name: BUDGET_ALERT_METRIC,
          value: '1',
        },
      },
      parent,
    );
    alarm('tenant-budget-alert', {
      alarmDescription:
        'A tenant crossed a budget soft threshold; the gateway log line "budget soft threshold reached" names the tenant',
      namespace: logMetricsNamespace(args.stack),
      metricName: BUDGET_ALERT_METRIC,
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    this.registerOutputs({ topicArn: this.topic.arn });
  }
}
