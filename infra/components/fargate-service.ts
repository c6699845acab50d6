import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { renderContainerDefinitions, SCRATCH_VOLUME, type ContainerSpec } from './container';

export interface FargateTaskArgs {
  family: string;
  region: string;
  cpu: number;
  memory: number;
  cpuArchitecture: 'X86_64' | 'ARM64';
  containers: ContainerSpec[];
  executionRoleArn: pulumi.Input<string>;
  /** Absent when the task calls no AWS API (the migration). */
  taskRoleArn?: pulumi.Input<string>;
}

/** A Fargate task definition (awsvpc, Linux) with a scratch volume for read-only roots. */
export function fargateTaskDefinition(
  name: string,
  args: FargateTaskArgs,
  opts: pulumi.CustomResourceOptions,
): aws.ecs.TaskDefinition {
  return new aws.ecs.TaskDefinition(
    name,
    {
      family: args.family,
      cpu: String(args.cpu),
      memory: String(args.memory),
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: args.cpuArchitecture },
      executionRoleArn: args.executionRoleArn,
      taskRoleArn: args.taskRoleArn,
      containerDefinitions: renderContainerDefinitions(args.containers, args.region),
      volumes: [{ name: SCRATCH_VOLUME }],
    },
    opts,
  );
}

export interface FargateServiceArgs extends FargateTaskArgs {
  serviceName: string;
  clusterArn: pulumi.Input<string>;
  /** Initial count; autoscaling owns it afterwards. */
  desiredCount: number;
  subnetIds: pulumi.Input<string>[];
  securityGroupIds: pulumi.Input<string>[];
  loadBalancer?: { targetGroupArn: pulumi.Input<string>; containerName: string; port: number };
  /** Register each task's address as `<serviceName>.<namespace>` (A record). */
  discoveryNamespaceId?: pulumi.Input<string>;
  /** Resources that must be ready before tasks start or roll (the migration, secret values). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
  /**
   * Values whose change must restart the tasks though the task definition did not change:
   * the versions of the secrets they read (ECS resolves secrets only when a task starts).
   */
  redeployOn?: Record<string, pulumi.Input<string>>;
}

/**
 * An ECS service on Fargate: private address only, deployment circuit breaker with rollback,
 * waits for a steady state on `pulumi up`, optionally behind a target group and in Cloud Map.
 */
export class FargateService extends pulumi.ComponentResource {
  readonly service: aws.ecs.Service;
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly serviceName: string;

  constructor(name: string, args: FargateServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:FargateService', name, {}, opts);
    this.serviceName = args.serviceName;
    this.taskDefinition = fargateTaskDefinition(name, args, { parent: this });

    const registry = args.discoveryNamespaceId
      ? new aws.servicediscovery.Service(
          name,
          {
            name: args.serviceName,
            namespaceId: args.discoveryNamespaceId,
            dnsConfig: {
              namespaceId: args.discoveryNamespaceId,
              routingPolicy: 'MULTIVALUE',
              dnsRecords: [{ type: 'A', ttl: 10 }],
            },
            forceDestroy: true,
          },
          { parent: this },
        )
      : undefined;

    this.service = new aws.ecs.Service(
      name,
      {
        name: args.serviceName,
        cluster: args.clusterArn,
        taskDefinition: this.taskDefinition.arn,
        desiredCount: args.desiredCount,
        launchType: 'FARGATE',
        platformVersion: 'LATEST',
        networkConfiguration: {
          subnets: args.subnetIds,
          securityGroups: args.securityGroupIds,
          assignPublicIp: false,
        },
        deploymentCircuitBreaker: { enable: true, rollback: true },
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        ...(args.loadBalancer
          ? {
              loadBalancers: [
                {
                  targetGroupArn: args.loadBalancer.targetGroupArn,
                  containerName: args.loadBalancer.containerName,
                  containerPort: args.loadBalancer.port,
                },
              ],
              healthCheckGracePeriodSeconds: 60,
            }
          : {}),
        ...(registry ? { serviceRegistries: { registryArn: registry.arn } } : {}),
        ...(args.redeployOn ? { forceNewDeployment: true, triggers: args.redeployOn } : {}),
        enableExecuteCommand: false,
        enableEcsManagedTags: true,
        propagateTags: 'SERVICE',
        waitForSteadyState: true,
      },
      // Autoscaling changes the count between deployments; a deployment must not reset it.
      { parent: this, dependsOn: args.dependsOn, ignoreChanges: ['desiredCount'] },
    );
    this.registerOutputs({ serviceName: this.service.name });
  }
}
