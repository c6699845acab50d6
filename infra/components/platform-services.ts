import * as pulumi from '@pulumi/pulumi';
import type { ServiceSize, StackConfig } from '../config/stack-config';
import type { WorkloadEnvironment } from './app-environments';
import { ServiceAutoscaling, type ServiceAutoscalingArgs } from './autoscaling';
import type { ContainerSpec } from './container';
import { FargateService, type FargateServiceArgs } from './fargate-service';
import { gatewayMetricsAgent } from './gateway-metrics';
import type { PublicLoadBalancer } from './load-balancer';
import type { AppName } from './log-groups';
import { PORTS, type GroupName } from './security-groups';
import type { SecretName } from './secrets';
import type { Workload } from './task-roles';

export interface PlatformServicesArgs {
  config: Pick<
    StackConfig,
    | 'region'
    | 'stack'
    | 'namePrefix'
    | 'services'
    | 'autoscaling'
    | 'cpuArchitecture'
    | 'metricsAgentImage'
  >;
  clusterArn: pulumi.Input<string>;
  clusterName: pulumi.Input<string>;
  discoveryNamespaceId: pulumi.Input<string>;
  subnetIds: { private: pulumi.Input<string>[]; sandbox: pulumi.Input<string>[] };
  securityGroupIds: Record<GroupName, pulumi.Input<string>>;
  imageRefs: Record<AppName, pulumi.Input<string>>;
  executionRoleArns: Record<AppName, pulumi.Input<string>>;
  taskRoleArns: Record<AppName, pulumi.Input<string>>;
  logGroupNames: Record<AppName | 'gateway-metrics', pulumi.Input<string>>;
  environments: Record<Workload, WorkloadEnvironment>;
  secretArn: (secret: SecretName) => pulumi.Input<string>;
  /** The current version of a secret: a rotation redeploys the services that read it. */
  secretVersion: (secret: SecretName) => pulumi.Input<string>;
  loadBalancer: PublicLoadBalancer;
  stepQueueName: pulumi.Input<string>;
  /** The migration invocation: no service rolls before it succeeded. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The container spec of one workload: its image, settings, secrets by ARN, probe and logs. */
export function workloadContainer(
  workload: Workload,
  image: pulumi.Input<string>,
  environment: WorkloadEnvironment,
  secretArn: (secret: SecretName) => pulumi.Input<string>,
  logGroupName: pulumi.Input<string>,
  port?: number,
): ContainerSpec {
  return {
    name: workload,
    image,
    essential: true,
    ...(port !== undefined ? { port, healthCheck: { port, path: '/healthz' } } : {}),
    environment: environment.environment,
    secrets: Object.fromEntries(
      Object.entries(environment.secrets).map(([variable, secret]) => [
        variable,
        secretArn(secret),
      ]),
    ),
    logGroupName,
    logStreamPrefix: workload,
    readonlyRootFilesystem: true,
    // The worker drains running steps on SIGTERM (WORKER_DRAIN_MS) before ECS kills it.
    stopTimeoutSeconds: 30,
  };
}

/**
 * The four Fargate services: control-plane and llm-gateway behind the load balancer (private
 * subnets), orchestrator-worker with no inbound traffic, tool-runtime in the sandbox subnets
 * reachable from the worker only; each with its own roles, autoscaling and health checks.
 */
export class PlatformServices extends pulumi.ComponentResource {
  readonly services: Record<AppName, FargateService>;

  constructor(name: string, args: PlatformServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:PlatformServices', name, {}, opts);
    const { config } = args;
    const sizes: Record<AppName, ServiceSize> = {
      'control-plane': config.services.controlPlane,
      'llm-gateway': config.services.llmGateway,
      'orchestrator-worker': config.services.worker,
      'tool-runtime': config.services.toolRuntime,
    };
    const placement: Record<
      AppName,
      { subnets: pulumi.Input<string>[]; group: GroupName; port: number }
    > = {
      'control-plane': {
        subnets: args.subnetIds.private,
        group: 'controlPlane',
        port: PORTS.controlPlane,
      },
      'llm-gateway': {
        subnets: args.subnetIds.private,
        group: 'llmGateway',
        port: PORTS.llmGateway,
      },
      'orchestrator-worker': {
        subnets: args.subnetIds.private,
        group: 'worker',
        port: PORTS.workerHealth,
      },
      'tool-runtime': {
        subnets: args.subnetIds.sandbox,
        group: 'toolRuntime',
        port: PORTS.toolRuntime,
      },
    };

    const service = (
      app: AppName,
      extra: Pick<FargateServiceArgs, 'loadBalancer' | 'discoveryNamespaceId'> = {},
      sidecars: ContainerSpec[] = [],
    ) => {
      const size = sizes[app];
      const where = placement[app];
      return new FargateService(
        `${name}-${app}`,
        {
          serviceName: app,
          family: `${config.namePrefix}-${app}`,
          region: config.region,
          clusterArn: args.clusterArn,
          cpu: size.cpu,
          memory: size.memory,
          cpuArchitecture: config.cpuArchitecture,
          desiredCount: size.minTasks,
          containers: [
            workloadContainer(
              app,
              args.imageRefs[app],
              args.environments[app],
              args.secretArn,
              args.logGroupNames[app],
              where.port,
            ),
            ...sidecars,
          ],
          executionRoleArn: args.executionRoleArns[app],
          taskRoleArn: args.taskRoleArns[app],
          subnetIds: where.subnets,
          securityGroupIds: [args.securityGroupIds[where.group]],
          dependsOn: args.dependsOn,
          redeployOn: Object.fromEntries(
            Object.entries(args.environments[app].secrets).map(([variable, secret]) => [
              variable,
              args.secretVersion(secret),
            ]),
          ),
          ...extra,
        },
        { parent: this },
      );
    };

    const controlPlane = service('control-plane', {
      loadBalancer: {
        targetGroupArn: args.loadBalancer.targetGroups.controlPlane.arn,
        containerName: 'control-plane',
        port: PORTS.controlPlane,
      },
    });
    const llmGateway = service(
      'llm-gateway',
      {
        loadBalancer: {
          targetGroupArn: args.loadBalancer.targetGroups.llmGateway.arn,
          containerName: 'llm-gateway',
          port: PORTS.llmGateway,
        },
        discoveryNamespaceId: args.discoveryNamespaceId,
      },
      [
        gatewayMetricsAgent({
          image: config.metricsAgentImage,
          stack: config.stack,
          clusterName: args.clusterName,
          metricsLogGroupName: args.logGroupNames['gateway-metrics'],
          logGroupName: args.logGroupNames['llm-gateway'],
        }),
      ],
    );
    const worker = service('orchestrator-worker');
    const toolRuntime = service('tool-runtime', {
      discoveryNamespaceId: args.discoveryNamespaceId,
    });
    this.services = {
      'control-plane': controlPlane,
      'llm-gateway': llmGateway,
      'orchestrator-worker': worker,
      'tool-runtime': toolRuntime,
    };

    const scaling = (
      app: AppName,
      policies: Pick<
        ServiceAutoscalingArgs,
        'cpuTargetPercent' | 'requestsPerTarget' | 'backlogPerTask'
      >,
    ) =>
      new ServiceAutoscaling(
        `${name}-${app}`,
        {
          clusterName: args.clusterName,
          serviceName: this.services[app].service.name,
          minTasks: sizes[app].minTasks,
          maxTasks: sizes[app].maxTasks,
          ...policies,
        },
        { parent: this },
      );
    const { autoscaling } = config;
    for (const api of ['control-plane', 'llm-gateway'] as const) {
      scaling(api, {
        cpuTargetPercent: autoscaling.cpuTargetPercent,
        requestsPerTarget: {
          value: autoscaling.requestsPerTarget,
          resourceLabel: args.loadBalancer.requestCountLabel(
            api === 'control-plane' ? 'controlPlane' : 'llmGateway',
          ),
        },
      });
    }
    scaling('orchestrator-worker', {
      backlogPerTask: { value: autoscaling.backlogPerTask, queueName: args.stepQueueName },
    });
    scaling('tool-runtime', { cpuTargetPercent: autoscaling.cpuTargetPercent });
    this.registerOutputs({});
  }
}
