import type { RenderedStatement } from '../policies/policy-document';
import type { ContainerDefinition } from '../components/container';
import type { MockCloud, RecordedResource } from './mock-cloud';

/**
 * Read-only views over what the mocks recorded, shaped for the assertions: policy documents,
 * container definitions, role actions, security-group rules.
 */

export const T = {
  role: 'aws:iam/role:Role',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  securityGroup: 'aws:ec2/securityGroup:SecurityGroup',
  ingress: 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
  egress: 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule',
  subnet: 'aws:ec2/subnet:Subnet',
  routeTable: 'aws:ec2/routeTable:RouteTable',
  routeTableAssociation: 'aws:ec2/routeTableAssociation:RouteTableAssociation',
  natGateway: 'aws:ec2/natGateway:NatGateway',
  rds: 'aws:rds/instance:Instance',
  rdsSubnetGroup: 'aws:rds/subnetGroup:SubnetGroup',
  cache: 'aws:elasticache/replicationGroup:ReplicationGroup',
  cacheSubnetGroup: 'aws:elasticache/subnetGroup:SubnetGroup',
  queue: 'aws:sqs/queue:Queue',
  queuePolicy: 'aws:sqs/queuePolicy:QueuePolicy',
  bucket: 'aws:s3/bucket:Bucket',
  bucketEncryption:
    'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  bucketPublicAccess: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  bucketVersioning: 'aws:s3/bucketVersioning:BucketVersioning',
  bucketLifecycle: 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
  secret: 'aws:secretsmanager/secret:Secret',
  secretVersion: 'aws:secretsmanager/secretVersion:SecretVersion',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  kmsKey: 'aws:kms/key:Key',
  topic: 'aws:sns/topic:Topic',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
  metricFilter: 'aws:cloudwatch/logMetricFilter:LogMetricFilter',
  repository: 'aws:ecr/repository:Repository',
  stateMachine: 'aws:sfn/stateMachine:StateMachine',
  taskDefinition: 'aws:ecs/taskDefinition:TaskDefinition',
  service: 'aws:ecs/service:Service',
  loadBalancer: 'aws:lb/loadBalancer:LoadBalancer',
  targetGroup: 'aws:lb/targetGroup:TargetGroup',
  scalingTarget: 'aws:appautoscaling/target:Target',
  scalingPolicy: 'aws:appautoscaling/policy:Policy',
  image: 'docker-build:index:Image',
  invocation: 'aws:lambda/invocation:Invocation',
} as const;

export interface PolicyDocumentFound {
  resource: string;
  field: string;
  statements: RenderedStatement[];
}

function parsePolicy(text: string): RenderedStatement[] | undefined {
  if (!text.trimStart().startsWith('{') || !text.includes('Statement')) return undefined;
  try {
    const parsed = JSON.parse(text) as { Statement?: RenderedStatement | RenderedStatement[] };
    if (Array.isArray(parsed.Statement)) return parsed.Statement;
    if (parsed.Statement && typeof parsed.Statement === 'object') return [parsed.Statement];
  } catch {
    // not JSON: not a policy
  }
  return undefined;
}

/** Every IAM-style policy document anywhere in any resource's inputs. */
export function allPolicyDocuments(cloud: MockCloud): PolicyDocumentFound[] {
  const found: PolicyDocumentFound[] = [];
  const visit = (resource: RecordedResource, field: string, value: unknown) => {
    if (typeof value === 'string') {
      const statements = parsePolicy(value);
      if (statements)
        found.push({ resource: `${resource.type} ${resource.name}`, field, statements });
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(resource, `${field}[${i}]`, item));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) visit(resource, `${field}.${key}`, item);
    }
  };
  for (const resource of cloud.resources) visit(resource, 'inputs', resource.inputs);
  return found;
}

export const asList = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** The statements of the inline policy of the role with this logical name. */
export function rolePolicyStatements(cloud: MockCloud, roleName: string): RenderedStatement[] {
  const policy = cloud.named(T.rolePolicy, roleName);
  return (JSON.parse(String(policy.inputs.policy)) as { Statement: RenderedStatement[] }).Statement;
}

/** Sorted, de-duplicated actions allowed by a role's policy. */
export function allowedActions(statements: RenderedStatement[]): string[] {
  const actions = statements.filter((s) => s.Effect === 'Allow').flatMap((s) => asList(s.Action));
  return [...new Set(actions)].sort();
}

/** Resources the statements allow `action` on. */
export function resourcesFor(statements: RenderedStatement[], action: string): string[] {
  return statements
    .filter((s) => s.Effect === 'Allow' && asList(s.Action).includes(action))
    .flatMap((s) => asList(s.Resource));
}

export interface TaskDefinitionView {
  family: string;
  containers: ContainerDefinition[];
  taskRoleArn?: string;
  executionRoleArn: string;
}

export function taskDefinitions(cloud: MockCloud): TaskDefinitionView[] {
  return cloud.ofType(T.taskDefinition).map((r) => ({
    family: String(r.inputs.family),
    containers: JSON.parse(String(r.inputs.containerDefinitions)) as ContainerDefinition[],
    taskRoleArn: r.inputs.taskRoleArn as string | undefined,
    executionRoleArn: String(r.inputs.executionRoleArn),
  }));
}

export function taskDefinition(cloud: MockCloud, family: string): TaskDefinitionView {
  const found = taskDefinitions(cloud).find((t) => t.family === family);
  if (!found) throw new Error(`no task definition ${family}`);
  return found;
}

/** Logical name of the security group with this mock id (e.g. `sg-database`). */
export function groupName(cloud: MockCloud, id: unknown): string {
  const group = cloud.byId(id);
  if (!group || group.type !== T.securityGroup) throw new Error(`no security group ${String(id)}`);
  return group.name;
}

export interface RuleView {
  group: string;
  from?: string;
  cidr?: string;
  prefixList?: string;
  port: number;
}

export function ingressRules(cloud: MockCloud): RuleView[] {
  return cloud.ofType(T.ingress).map((r) => ({
    group: groupName(cloud, r.inputs.securityGroupId),
    from:
      r.inputs.referencedSecurityGroupId !== undefined
        ? groupName(cloud, r.inputs.referencedSecurityGroupId)
        : undefined,
    cidr: (r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6) as string | undefined,
    prefixList: r.inputs.prefixListId as string | undefined,
    port: Number(r.inputs.fromPort),
  }));
}

/** Mock ids of the subnets of one tier. */
export function subnetIdsOf(cloud: MockCloud, tier: string): string[] {
  return cloud
    .ofType(T.subnet)
    .filter((s) => (s.inputs.tags as Record<string, string>)['gnomon:tier'] === tier)
    .map((s) => s.id);
}
