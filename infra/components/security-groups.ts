import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export const PORTS = {
  controlPlane: 8080,
  llmGateway: 8081,
  toolRuntime: 8082,
  workerHealth: 8083,
  postgres: 5432,
  redis: 6379,
} as const;

export interface SecurityGroupsArgs {
  namePrefix: string;
  vpcId: pulumi.Input<string>;
  vpcCidr: string;
  s3PrefixListId: pulumi.Input<string>;
  /** Whether the tool runtime may open HTTP(S) connections to the internet (HTTP tools). */
  toolRuntimeInternetEgress: boolean;
}

export type GroupName =
  | 'loadBalancer'
  | 'controlPlane'
  | 'llmGateway'
  | 'worker'
  | 'toolRuntime'
  | 'migration'
  | 'database'
  | 'cache';

type Peer = { group: GroupName } | { cidr: pulumi.Input<string> } | { prefixList: true };

/**
 * Every security group and every rule between them, in one place so the allowed flows read as
 * a table. Groups start with no rules (AWS's default allow-all egress is removed); ingress to
 * the database and the cache comes only from named groups, never from an address range. Only
 * the load balancer accepts traffic from the internet.
 */
export class SecurityGroups extends pulumi.ComponentResource {
  readonly ids: Record<GroupName, pulumi.Output<string>>;

  constructor(name: string, args: SecurityGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:SecurityGroups', name, {}, opts);
    const parent = { parent: this };
    const descriptions: Record<GroupName, string> = {
      loadBalancer: 'Public HTTPS load balancer',
      controlPlane: 'control-plane tasks',
      llmGateway: 'llm-gateway tasks',
      worker: 'orchestrator-worker tasks (no inbound traffic)',
      toolRuntime: 'tool-runtime tasks (reachable from the worker only)',
      migration: 'one-off database migration task',
      database: 'PostgreSQL (from the services only)',
      cache: 'Redis (from the services only)',
    };
    const groups = {} as Record<GroupName, aws.ec2.SecurityGroup>;
    for (const [group, description] of Object.entries(descriptions) as [GroupName, string][]) {
      groups[group] = new aws.ec2.SecurityGroup(
        `${name}-${group}`,
        {
          vpcId: args.vpcId,
          description,
          revokeRulesOnDelete: true,
          tags: { Name: `${args.namePrefix}-${group}` },
        },
        parent,
      );
    }
    this.ids = Object.fromEntries(
      Object.entries(groups).map(([group, sg]) => [group, sg.id]),
    ) as Record<GroupName, pulumi.Output<string>>;

    const peerArgs = (peer: Peer) =>
      'group' in peer
        ? { referencedSecurityGroupId: groups[peer.group].id }
        : 'cidr' in peer
          ? { cidrIpv4: peer.cidr }
          : { prefixListId: args.s3PrefixListId };
    const peerName = (peer: Peer) =>
      'group' in peer ? peer.group : 'cidr' in peer ? 'cidr' : 's3';
    const tcp = (port: number) => ({ ipProtocol: 'tcp', fromPort: port, toPort: port });

    const allow = (from: GroupName, to: GroupName, port: number, why: string) => {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-${to}-from-${from}-${port}`,
        {
          securityGroupId: groups[to].id,
          ...peerArgs({ group: from }),
          ...tcp(port),
          description: why,
        },
        parent,
      );
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-${from}-to-${to}-${port}`,
        {
          securityGroupId: groups[from].id,
          ...peerArgs({ group: to }),
          ...tcp(port),
          description: why,
        },
        parent,
      );
    };
    const egress = (from: GroupName, peer: Peer, port: number, why: string, suffix = '') => {
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-${from}-to-${peerName(peer)}${suffix}-${port}`,
        { securityGroupId: groups[from].id, ...peerArgs(peer), ...tcp(port), description: why },
        parent,
      );
    };

    for (const port of [443, 80]) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-loadBalancer-from-internet-${port}`,
        {
          securityGroupId: groups.loadBalancer.id,
          cidrIpv4: '0.0.0.0/0',
          ...tcp(port),
          description: port === 443 ? 'HTTPS from clients' : 'HTTP, redirected to HTTPS',
        },
        parent,
      );
    }
    allow('loadBalancer', 'controlPlane', PORTS.controlPlane, 'API traffic and health checks');
    allow('loadBalancer', 'llmGateway', PORTS.llmGateway, 'gateway traffic and health checks');
    allow('worker', 'llmGateway', PORTS.llmGateway, 'model calls of llm steps');
    allow('worker', 'toolRuntime', PORTS.toolRuntime, 'tool executions');
    for (const service of ['controlPlane', 'llmGateway', 'worker', 'migration'] as const) {
      allow(service, 'database', PORTS.postgres, 'PostgreSQL');
    }
    for (const service of ['controlPlane', 'llmGateway', 'worker'] as const) {
      allow(service, 'cache', PORTS.redis, 'Redis (TLS)');
    }

    // AWS APIs through the interface endpoints (in the VPC) and S3 through the gateway endpoint;
    // image layers come from S3 too, so every task needs both.
    const tasks = ['controlPlane', 'llmGateway', 'worker', 'toolRuntime', 'migration'] as const;
    for (const task of tasks) {
      egress(task, { cidr: args.vpcCidr }, 443, 'AWS APIs through the VPC endpoints', '-vpc');
      egress(task, { prefixList: true }, 443, 'S3 through the gateway endpoint');
    }
    // Providers (OpenAI, Anthropic, Gemini, custom base URLs) are on the internet; so are the
    // CloudWatch agent image and its API.
    egress('llmGateway', { cidr: '0.0.0.0/0' }, 443, 'model providers over HTTPS', '-internet');
    if (args.toolRuntimeInternetEgress) {
      for (const port of [443, 80]) {
        egress(
          'toolRuntime',
          { cidr: '0.0.0.0/0' },
          port,
          'HTTP tools (allowlisted hosts)',
          '-internet',
        );
      }
    }
    this.registerOutputs({});
  }
}
