import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface ServiceClusterArgs {
  namePrefix: string;
  vpcId: pulumi.Input<string>;
}

/**
 * The ECS cluster (Container Insights on: the worker's scaling reads its task count) and the
 * private DNS namespace in which services find each other (`llm-gateway.<ns>`, `tool-runtime.<ns>`).
 */
export class ServiceCluster extends pulumi.ComponentResource {
  readonly cluster: aws.ecs.Cluster;
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  readonly namespaceId: pulumi.Output<string>;
  /** e.g. `dev.gnomon.internal`. */
  readonly namespaceName: string;

  constructor(name: string, args: ServiceClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:ServiceCluster', name, {}, opts);
    this.cluster = new aws.ecs.Cluster(
      name,
      {
        name: args.namePrefix,
        settings: [{ name: 'containerInsights', value: 'enabled' }],
      },
      { parent: this },
    );
    this.namespaceName = `${args.namePrefix.replace(/^gnomon-/, '')}.gnomon.internal`;
    const namespace = new aws.servicediscovery.PrivateDnsNamespace(
      name,
      {
        name: this.namespaceName,
        vpc: args.vpcId,
        description: 'Gnomon services (east-west traffic)',
      },
      { parent: this },
    );
    this.name = this.cluster.name;
    this.arn = this.cluster.arn;
    this.namespaceId = namespace.id;
    this.registerOutputs({ name: this.name });
  }
}
