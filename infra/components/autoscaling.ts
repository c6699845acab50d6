import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface ServiceAutoscalingArgs {
  clusterName: pulumi.Input<string>;
  serviceName: pulumi.Input<string>;
  minTasks: number;
  maxTasks: number;
  /** Average CPU the service is kept at. */
  cpuTargetPercent?: number;
  /** Requests per task per minute behind the load balancer (ALBRequestCountPerTarget). */
  requestsPerTarget?: { value: number; resourceLabel: pulumi.Input<string> };
  /** Visible step messages per running task. */
  backlogPerTask?: { value: number; queueName: pulumi.Input<string> };
}

/**
 * Target-tracking scaling of one ECS service: on CPU, on requests per target, and/or on queue
 * backlog per task (visible messages ÷ running tasks, by metric math), within min/max tasks.
 */
export class ServiceAutoscaling extends pulumi.ComponentResource {
  readonly target: aws.appautoscaling.Target;

  constructor(name: string, args: ServiceAutoscalingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:ServiceAutoscaling', name, {}, opts);
    const parent = { parent: this };
    this.target = new aws.appautoscaling.Target(
      name,
      {
        serviceNamespace: 'ecs',
        scalableDimension: 'ecs:service:DesiredCount',
        resourceId: pulumi.interpolate`service/${args.clusterName}/${args.serviceName}`,
        minCapacity: args.minTasks,
        maxCapacity: args.maxTasks,
      },
      parent,
    );
    const policy = (
      id: string,
      configuration: aws.types.input.appautoscaling.PolicyTargetTrackingScalingPolicyConfiguration,
    ) =>
      new aws.appautoscaling.Policy(
        `${name}-${id}`,
        {
          policyType: 'TargetTrackingScaling',
          serviceNamespace: this.target.serviceNamespace,
          scalableDimension: this.target.scalableDimension,
          resourceId: this.target.resourceId,
          targetTrackingScalingPolicyConfiguration: configuration,
        },
        parent,
      );

    if (args.cpuTargetPercent !== undefined) {
      policy('cpu', {
        predefinedMetricSpecification: { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        targetValue: args.cpuTargetPercent,
        scaleOutCooldown: 60,
        scaleInCooldown: 300,
      });
    }
    if (args.requestsPerTarget) {
      policy('requests', {
        predefinedMetricSpecification: {
          predefinedMetricType: 'ALBRequestCountPerTarget',
          resourceLabel: args.requestsPerTarget.resourceLabel,
        },
        targetValue: args.requestsPerTarget.value,
        scaleOutCooldown: 60,
        scaleInCooldown: 300,
      });
    }
    if (args.backlogPerTask) {
      policy('backlog', {
        customizedMetricSpecification: {
          metrics: [
            {
              id: 'visible',
              label: 'step messages waiting',
              returnData: false,
              metricStat: {
                stat: 'Sum',
                metric: {
                  namespace: 'AWS/SQS',
                  metricName: 'ApproximateNumberOfMessagesVisible',
                  dimensions: [{ name: 'QueueName', value: args.backlogPerTask.queueName }],
                },
              },
            },
            {
              id: 'tasks',
              label: 'running worker tasks',
              returnData: false,
              metricStat: {
                stat: 'Average',
                metric: {
                  namespace: 'ECS/ContainerInsights',
                  metricName: 'RunningTaskCount',
                  dimensions: [
                    { name: 'ClusterName', value: args.clusterName },
                    { name: 'ServiceName', value: args.serviceName },
                  ],
                },
              },
            },
            {
              id: 'backlogPerTask',
              label: 'step messages per worker task',
              // With no task running yet, the whole backlog counts against one.
              expression: 'visible / IF(tasks > 0, tasks, 1)',
              returnData: true,
            },
          ],
        },
        targetValue: args.backlogPerTask.value,
        scaleOutCooldown: 60,
        scaleInCooldown: 300,
      });
    }
    this.registerOutputs({});
  }
}
