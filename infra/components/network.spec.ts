import * as pulumi from '@pulumi/pulumi';
import { MockCloud } from '../testing/mock-cloud';
import { T } from '../testing/deployment-view';
import { Network, subnetCidr, type SubnetTier } from './network';
import { SecurityGroups } from './security-groups';

const TIERS: SubnetTier[] = ['public', 'private', 'isolated', 'sandbox'];

/** [first, last] address of a CIDR as integers. */
function range(cidr: string): [number, number] {
  const [address, bits] = cidr.split('/');
  const start = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  return [start, start + 2 ** (32 - Number(bits)) - 1];
}

describe('subnet plan', () => {
  it('gives every tier and AZ its own block inside the VPC', () => {
    const [vpcStart, vpcEnd] = range('10.40.0.0/16');
    const blocks = TIERS.flatMap((tier) =>
      [0, 1, 2].map((az) => range(subnetCidr('10.40.0.0/16', tier, az))),
    );
    for (const [start, end] of blocks) {
      expect(start).toBeGreaterThanOrEqual(vpcStart);
      expect(end).toBeLessThanOrEqual(vpcEnd);
    }
    const sorted = [...blocks].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThan(sorted[i - 1][1]);
  });

  it('refuses a VPC block it cannot divide', () => {
    expect(() => subnetCidr('192.168.0.0/16', 'public', 0)).toThrow('10.x.0.0/16');
  });
});

describe('a stack without internet egress for the tool runtime', () => {
  const cloud = new MockCloud();

  beforeAll(async () => {
    await pulumi.runtime.setMocks(cloud, 'gnomon', 'isolated-tools', false);
    const network = new Network('network', {
      namePrefix: 'gnomon-test',
      region: 'us-east-1',
      cidr: '10.50.0.0/16',
      azCount: 2,
      natGateways: 'single',
      sandboxInternetEgress: false,
    });
    new SecurityGroups('sg', {
      namePrefix: 'gnomon-test',
      vpcId: network.vpcId,
      vpcCidr: network.cidr,
      s3PrefixListId: network.s3PrefixListId,
      toolRuntimeInternetEgress: false,
    });
    await pulumi.runtime.disconnect();
  });

  it('gives the sandbox subnets no route out of the VPC', () => {
    const sandboxTables = cloud
      .ofType(T.routeTable)
      .filter((t) => t.name.startsWith('network-sandbox-'));
    expect(sandboxTables).toHaveLength(2);
    for (const table of sandboxTables) expect(table.inputs.routes).toEqual([]);
    const privateTables = cloud
      .ofType(T.routeTable)
      .filter((t) => t.name.startsWith('network-private-'));
    for (const table of privateTables) {
      expect(table.inputs.routes).toEqual([
        { cidrBlock: '0.0.0.0/0', natGatewayId: 'network-0-id' },
      ]);
    }
  });

  it('lets the tool runtime reach only the VPC endpoints and S3', () => {
    const egress = cloud
      .ofType(T.egress)
      .filter((r) => r.inputs.securityGroupId === 'sg-toolRuntime-id')
      .map((r) => [r.inputs.cidrIpv4 ?? r.inputs.prefixListId, r.inputs.fromPort]);
    expect(egress).toEqual([
      ['10.50.0.0/16', 443],
      ['pl-63a5400a', 443],
    ]);
  });
});
