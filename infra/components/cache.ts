import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface CacheArgs {
  namePrefix: string;
  subnetIds: pulumi.Input<string>[];
  securityGroupId: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  nodeType: string;
  engineVersion: string;
  /** Read replicas; ≥ 1 turns on automatic failover across AZs. */
  replicas: number;
  snapshotRetentionDays: number;
  authToken: pulumi.Input<string>;
}

/**
 * ElastiCache Redis in the isolated subnets: TLS in transit, an AUTH token, encryption at rest
 * with the stack key, replicas and automatic failover where the stack says so. Budgets, rate
 * limits and the usage stream live here, so keys are never evicted (`noeviction`): a full
 * cache refuses writes, which the gateway fails closed on, instead of forgetting spend.
 */
export class Cache extends pulumi.ComponentResource {
  readonly replicationGroup: aws.elasticache.ReplicationGroup;
  /** `rediss://:<token>@<primary>:6379` (secret). */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:Cache', name, {}, opts);
    const parent = { parent: this };
    const major = args.engineVersion.split('.')[0];

    const subnetGroup = new aws.elasticache.SubnetGroup(
      name,
      {
        name: `${args.namePrefix}-redis`,
        subnetIds: args.subnetIds,
        description: 'isolated subnets',
      },
      parent,
    );
    const parameters = new aws.elasticache.ParameterGroup(
      name,
      {
        name: `${args.namePrefix}-redis${major}`,
        family: `redis${major}`,
        description: 'Gnomon: never evict budget, rate-limit or usage keys',
        parameters: [{ name: 'maxmemory-policy', value: 'noeviction' }],
      },
      parent,
    );
    const failover = args.replicas > 0;
    this.replicationGroup = new aws.elasticache.ReplicationGroup(
      name,
      {
        replicationGroupId: `${args.namePrefix}-redis`,
        description: `${args.namePrefix}: budgets, rate limits, usage stream`,
        engine: 'redis',
        engineVersion: args.engineVersion,
        nodeType: args.nodeType,
        port: 6379,
        numCacheClusters: 1 + args.replicas,
        automaticFailoverEnabled: failover,
        multiAzEnabled: failover,
        subnetGroupName: subnetGroup.name,
        securityGroupIds: [args.securityGroupId],
        parameterGroupName: parameters.name,
        atRestEncryptionEnabled: true,
        kmsKeyId: args.kmsKeyArn,
        transitEncryptionEnabled: true,
        authToken: args.authToken,
        authTokenUpdateStrategy: 'ROTATE',
        snapshotRetentionLimit: args.snapshotRetentionDays,
        snapshotWindow: '02:00-03:00',
        maintenanceWindow: 'sun:05:30-sun:06:30',
        autoMinorVersionUpgrade: true,
      },
      parent,
    );
    this.url = pulumi.secret(
      pulumi
        .all([args.authToken, this.replicationGroup.primaryEndpointAddress])
        .apply(([token, host]) => `rediss://:${encodeURIComponent(token)}@${host}:6379`),
    );
    this.registerOutputs({});
  }
}
