import * as pulumi from '@pulumi/pulumi';

/**
 * Pulumi mocks that record every resource the program declares (type, logical name, resolved
 * inputs) and answer with the attributes AWS would compute (ARNs, URLs, endpoints), so the
 * program runs to completion without a cloud and the tests read what would be deployed.
 */

export const ACCOUNT_ID = '123456789012';
export const REGION = 'us-east-1';

export interface RecordedResource {
  type: string;
  name: string;
  id: string;
  /** Resolved inputs, secrets unwrapped to their values. */
  inputs: Record<string, unknown>;
  /** Top-level inputs that carried a secret (Pulumi encrypts them in the state). */
  secretInputs: string[];
  /** What AWS would compute (ARNs, URLs, endpoints), as the mocks answered. */
  attributes: Record<string, unknown>;
}

const isSecret = (value: unknown): value is { value: unknown } =>
  typeof value === 'object' &&
  value !== null &&
  (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] ===
    pulumi.runtime.specialSecretSig;

/** The value with every secret wrapper replaced by what it wraps; `found` is set if any was. */
function reveal(value: unknown, found: { secret: boolean }): unknown {
  if (isSecret(value)) {
    found.secret = true;
    return reveal(value.value, found);
  }
  if (Array.isArray(value)) return value.map((item) => reveal(item, found));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v, found)]));
  }
  return value;
}

const text = (value: unknown, fallback: string): string =>
  typeof value === 'string' && value.length > 0 ? value : fallback;

/** Attributes AWS computes, by resource type. */
function computed(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const physical = text(inputs.name, name);
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${REGION}:${ACCOUNT_ID}:${resource}`;
  switch (type) {
    case 'aws:sqs/queue:Queue':
      return {
        arn: arn('sqs', physical),
        url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/${physical}`,
      };
    case 'aws:sfn/stateMachine:StateMachine':
      return { arn: arn('states', `stateMachine:${physical}`) };
    case 'aws:s3/bucket:Bucket': {
      const bucket = text(inputs.bucket, name);
      return { bucket, arn: `arn:aws:s3:::${bucket}` };
    }
    case 'aws:cloudwatch/logGroup:LogGroup':
      return { arn: arn('logs', `log-group:${physical}`) };
    case 'aws:secretsmanager/secretVersion:SecretVersion':
      return { versionId: `${name}-version-1` };
    case 'aws:secretsmanager/secret:Secret':
      return { arn: arn('secretsmanager', `secret:${physical}-AbCdEf`) };
    case 'aws:kms/key:Key':
      return { arn: arn('kms', `key/${name}-key-id`), keyId: `${name}-key-id` };
    case 'aws:iam/role:Role':
      return { arn: `arn:aws:iam::${ACCOUNT_ID}:role/${name}`, name };
    case 'aws:rds/instance:Instance':
      return {
        address: `${text(inputs.identifier, name)}.abc123.${REGION}.rds.amazonaws.com`,
        port: 5432,
        arn: arn('rds', `db:${text(inputs.identifier, name)}`),
      };
    case 'aws:elasticache/replicationGroup:ReplicationGroup':
      return {
        primaryEndpointAddress: `master.${text(inputs.replicationGroupId, name)}.abc123.use1.cache.amazonaws.com`,
      };
    case 'aws:lb/loadBalancer:LoadBalancer':
      return {
        arn: arn('elasticloadbalancing', `loadbalancer/app/${physical}/50dc6c495c0c9188`),
        arnSuffix: `app/${physical}/50dc6c495c0c9188`,
        dnsName: `${physical}-1234567890.${REGION}.elb.amazonaws.com`,
        zoneId: 'Z35SXDOTRQ7X7K',
      };
    case 'aws:lb/targetGroup:TargetGroup':
      return {
        arn: arn('elasticloadbalancing', `targetgroup/${physical}/73e2d6bc24d8a067`),
        arnSuffix: `targetgroup/${physical}/73e2d6bc24d8a067`,
      };
    case 'aws:ecr/repository:Repository':
      return {
        arn: arn('ecr', `repository/${physical}`),
        registryId: ACCOUNT_ID,
        repositoryUrl: `${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/${physical}`,
      };
    case 'docker-build:index:Image': {
      const tags = Array.isArray(inputs.tags) ? (inputs.tags as string[]) : [];
      const digest = `sha256:${name
        .replace(/[^a-z0-9]/g, '')
        .padEnd(64, '0')
        .slice(0, 64)}`;
      return { digest, ref: `${tags[0] ?? name}@${digest}` };
    }
    case 'aws:ecs/cluster:Cluster':
      return { arn: arn('ecs', `cluster/${physical}`), name: physical };
    case 'aws:ecs/taskDefinition:TaskDefinition':
      return { arn: arn('ecs', `task-definition/${text(inputs.family, name)}:1`), revision: 1 };
    case 'aws:ec2/vpcEndpoint:VpcEndpoint':
      return { prefixListId: 'pl-63a5400a' };
    case 'aws:sns/topic:Topic':
      return { arn: arn('sns', physical) };
    default:
      return { arn: arn('mock', `${type.split(':')[1] ?? type}/${name}`) };
  }
}

export class MockCloud implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  readonly invokes: string[] = [];

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const raw = (args.inputs ?? {}) as Record<string, unknown>;
    const inputs: Record<string, unknown> = {};
    const secretInputs: string[] = [];
    for (const [key, value] of Object.entries(raw)) {
      const found = { secret: false };
      inputs[key] = reveal(value, found);
      if (found.secret) secretInputs.push(key);
    }
    const id = `${args.name}-id`;
    const attributes = computed(args.type, args.name, inputs);
    this.resources.push({ type: args.type, name: args.name, id, inputs, secretInputs, attributes });
    return { id, state: { ...raw, ...attributes } };
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    this.invokes.push(args.token);
    switch (args.token) {
      case 'aws:index/getCallerIdentity:getCallerIdentity':
        return {
          accountId: ACCOUNT_ID,
          arn: `arn:aws:iam::${ACCOUNT_ID}:user/deployer`,
          userId: 'AIDA',
        };
      case 'aws:index/getAvailabilityZones:getAvailabilityZones':
        return {
          names: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d'],
          zoneIds: ['use1-az1', 'use1-az2', 'use1-az4', 'use1-az6'],
        };
      case 'aws:ecr/getAuthorizationToken:getAuthorizationToken':
        return {
          userName: 'AWS',
          password: 'ecr-token',
          proxyEndpoint: `https://${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com`,
        };
      default:
        throw new Error(`unexpected invoke ${args.token}: add it to MockCloud on purpose`);
    }
  }

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  named(type: string, name: string): RecordedResource {
    const found = this.resources.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`no ${type} named ${name}`);
    return found;
  }

  byId(id: unknown): RecordedResource | undefined {
    return this.resources.find((r) => r.id === id);
  }

  /** Resource count per type (component resources included). */
  countsByType(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
    return counts;
  }
}
