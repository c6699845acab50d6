import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export type SubnetTier = 'public' | 'private' | 'isolated' | 'sandbox';

export interface NetworkArgs {
  namePrefix: string;
  region: string;
  /** A 10.x.0.0/16 block. */
  cidr: string;
  azCount: number;
  natGateways: 'single' | 'perAz';
  /** The sandbox tier (tool runtime) routes to the internet through NAT only when true. */
  sandboxInternetEgress: boolean;
}

/**
 * Subnet plan inside the /16, per AZ index i:
 * public 10.x.i.0/24 (load balancer, NAT) · private 10.x.(16+16i).0/20 (services, endpoints) ·
 * isolated 10.x.(100+i).0/24 (database, cache; no route out of the VPC) ·
 * sandbox 10.x.(128+16i).0/20 (tool runtime; out through NAT only if the stack allows it).
 */
export function subnetCidr(vpcCidr: string, tier: SubnetTier, azIndex: number): string {
  const match = /^10\.(\d{1,3})\.0\.0\/16$/.exec(vpcCidr);
  if (!match) throw new Error(`VPC CIDR must be 10.x.0.0/16, got ${vpcCidr}`);
  const x = match[1];
  switch (tier) {
    case 'public':
      return `10.${x}.${azIndex}.0/24`;
    case 'private':
      return `10.${x}.${16 + 16 * azIndex}.0/20`;
    case 'isolated':
      return `10.${x}.${100 + azIndex}.0/24`;
    case 'sandbox':
      return `10.${x}.${128 + 16 * azIndex}.0/20`;
  }
}

/** Interface endpoints, so tasks reach AWS APIs without leaving the VPC. */
const INTERFACE_ENDPOINTS = ['sqs', 'states', 'secretsmanager', 'ecr.api', 'ecr.dkr', 'logs'];

/**
 * The VPC across `azCount` AZs with four subnet tiers, NAT, and VPC endpoints for S3
 * (gateway) and SQS, Step Functions, Secrets Manager, ECR and CloudWatch Logs (interface).
 */
export class Network extends pulumi.ComponentResource {
  readonly vpc: aws.ec2.Vpc;
  readonly vpcId: pulumi.Output<string>;
  readonly cidr: string;
  readonly subnetIds: Record<SubnetTier, pulumi.Output<string>[]>;
  /** The S3 prefix list, for security-group egress to the gateway endpoint. */
  readonly s3PrefixListId: pulumi.Output<string>;
  readonly endpointSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:Network', name, {}, opts);
    const parent = { parent: this };
    const tags = (suffix: string) => ({ Name: `${args.namePrefix}-${suffix}` });
    this.cidr = args.cidr;

    this.vpc = new aws.ec2.Vpc(
      name,
      {
        cidrBlock: args.cidr,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: tags('vpc'),
      },
      parent,
    );
    this.vpcId = this.vpc.id;
    const zones = aws.getAvailabilityZonesOutput({ state: 'available' }, parent).names;
    const igw = new aws.ec2.InternetGateway(
      name,
      { vpcId: this.vpc.id, tags: tags('igw') },
      parent,
    );

    const subnets = (tier: SubnetTier) =>
      Array.from({ length: args.azCount }, (_, i) => {
        return new aws.ec2.Subnet(
          `${name}-${tier}-${i}`,
          {
            vpcId: this.vpc.id,
            cidrBlock: subnetCidr(args.cidr, tier, i),
            availabilityZone: zones.apply((names) => {
              if (names.length < args.azCount)
                throw new Error(`${args.region} has ${names.length} AZs, need ${args.azCount}`);
              return names[i];
            }),
            mapPublicIpOnLaunch: false,
            tags: { ...tags(`${tier}-${i}`), 'gnomon:tier': tier },
          },
          parent,
        );
      });
    const publicSubnets = subnets('public');
    const privateSubnets = subnets('private');
    const isolatedSubnets = subnets('isolated');
    const sandboxSubnets = subnets('sandbox');

    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public`,
      {
        vpcId: this.vpc.id,
        routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }],
        tags: tags('public'),
      },
      parent,
    );
    publicSubnets.forEach((subnet, i) => associate(`${name}-public-${i}`, subnet, publicRoutes));

    const natCount = args.natGateways === 'perAz' ? args.azCount : 1;
    const nats = Array.from({ length: natCount }, (_, i) => {
      const eip = new aws.ec2.Eip(
        `${name}-nat-${i}`,
        { domain: 'vpc', tags: tags(`nat-${i}`) },
        parent,
      );
      return new aws.ec2.NatGateway(
        `${name}-${i}`,
        { allocationId: eip.id, subnetId: publicSubnets[i].id, tags: tags(`nat-${i}`) },
        { parent: this, dependsOn: [igw] },
      );
    });
    const natFor = (azIndex: number) => nats[Math.min(azIndex, nats.length - 1)];

    const privateRoutes = privateSubnets.map((subnet, i) => {
      const table = new aws.ec2.RouteTable(
        `${name}-private-${i}`,
        {
          vpcId: this.vpc.id,
          routes: [{ cidrBlock: '0.0.0.0/0', natGatewayId: natFor(i).id }],
          tags: tags(`private-${i}`),
        },
        parent,
      );
      associate(`${name}-private-${i}`, subnet, table);
      return table;
    });
    // No routes besides the VPC's own: nothing in these subnets can reach or be reached from outside.
    const isolatedRoutes = new aws.ec2.RouteTable(
      `${name}-isolated`,
      { vpcId: this.vpc.id, tags: tags('isolated') },
      parent,
    );
    isolatedSubnets.forEach((subnet, i) =>
      associate(`${name}-isolated-${i}`, subnet, isolatedRoutes),
    );
    const sandboxRoutes = sandboxSubnets.map((subnet, i) => {
      const table = new aws.ec2.RouteTable(
        `${name}-sandbox-${i}`,
        {
          vpcId: this.vpc.id,
          routes: args.sandboxInternetEgress
            ? [{ cidrBlock: '0.0.0.0/0', natGatewayId: natFor(i).id }]
            : [],
          tags: tags(`sandbox-${i}`),
        },
        parent,
      );
      associate(`${name}-sandbox-${i}`, subnet, table);
      return table;
    });

    const s3 = new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${args.region}.s3`,
        vpcEndpointType: 'Gateway',
        routeTableIds: [...privateRoutes, isolatedRoutes, ...sandboxRoutes].map((t) => t.id),
        tags: tags('s3'),
      },
      parent,
    );
    this.s3PrefixListId = s3.prefixListId;

    const endpointSg = new aws.ec2.SecurityGroup(
      `${name}-endpoints`,
      {
        vpcId: this.vpc.id,
        description: 'Interface VPC endpoints: HTTPS from inside the VPC',
        tags: tags('endpoints'),
      },
      parent,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-endpoints-https`,
      {
        securityGroupId: endpointSg.id,
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        cidrIpv4: args.cidr,
        description: 'HTTPS from the VPC',
      },
      parent,
    );
    this.endpointSecurityGroupId = endpointSg.id;
    for (const service of INTERFACE_ENDPOINTS) {
      new aws.ec2.VpcEndpoint(
        `${name}-${service.replace('.', '-')}`,
        {
          vpcId: this.vpc.id,
          serviceName: `com.amazonaws.${args.region}.${service}`,
          vpcEndpointType: 'Interface',
          privateDnsEnabled: true,
          subnetIds: privateSubnets.map((s) => s.id),
          securityGroupIds: [endpointSg.id],
          tags: tags(service),
        },
        parent,
      );
    }

    this.subnetIds = {
      public: publicSubnets.map((s) => s.id),
      private: privateSubnets.map((s) => s.id),
      isolated: isolatedSubnets.map((s) => s.id),
      sandbox: sandboxSubnets.map((s) => s.id),
    };
    this.registerOutputs({ vpcId: this.vpcId });

    function associate(id: string, subnet: aws.ec2.Subnet, table: aws.ec2.RouteTable): void {
      new aws.ec2.RouteTableAssociation(
        id,
        { subnetId: subnet.id, routeTableId: table.id },
        parent,
      );
    }
  }
}
