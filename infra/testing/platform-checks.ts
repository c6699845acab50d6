import { renderRunStateMachine, RUN_STATE_MACHINE_TIMING } from '@gnomon/workflow';
import type { MockCloud } from './mock-cloud';
import { TEST_SECRETS, type LoadedStack } from './stack-harness';
import {
  allPolicyDocuments,
  ingressRules,
  resourcesFor,
  allowedActions,
  rolePolicyStatements,
  subnetIdsOf,
  T,
} from './deployment-view';
import { keyArn, str, type StackContext } from './expected-deployment';

/** Exposure, encryption, the step queue and the state machine of one stack (see stack-suite.ts). */
export function platformChecks(context: StackContext): void {
  let loaded: LoadedStack;
  let cloud: MockCloud;
  beforeAll(() => {
    loaded = context.loaded();
    cloud = loaded.cloud;
  });
  const { stack } = context;

  describe('nothing but the load balancer is reachable from the internet', () => {
    it('accepts internet traffic only on the load balancer, on 80 and 443', () => {
      const open = ingressRules(cloud).filter(
        (r) => r.cidr !== undefined || r.prefixList !== undefined,
      );
      const vpcCidr = (loaded.settings.network as { cidr: string }).cidr;
      // The interface endpoints accept HTTPS from inside the VPC only.
      expect(open.filter((r) => r.group !== 'sg-loadBalancer')).toEqual([
        expect.objectContaining({ group: 'network-endpoints', cidr: vpcCidr, port: 443 }),
      ]);
      expect(
        open.filter((r) => r.group === 'sg-loadBalancer').map((r) => [r.cidr, r.port]),
      ).toEqual([
        ['0.0.0.0/0', 443],
        ['0.0.0.0/0', 80],
      ]);
    });

    it('lets only named service groups reach the database, the cache and the tool runtime', () => {
      const into = (group: string) =>
        ingressRules(cloud)
          .filter((r) => r.group === group)
          .map((r) => `${r.from ?? r.cidr ?? r.prefixList}:${r.port}`)
          .sort();
      expect(into('sg-database')).toEqual([
        'sg-controlPlane:5432',
        'sg-llmGateway:5432',
        'sg-migration:5432',
        'sg-worker:5432',
      ]);
      expect(into('sg-cache')).toEqual([
        'sg-controlPlane:6379',
        'sg-llmGateway:6379',
        'sg-worker:6379',
      ]);
      expect(into('sg-toolRuntime')).toEqual(['sg-worker:8082']);
      expect(into('sg-llmGateway')).toEqual(['sg-loadBalancer:8081', 'sg-worker:8081']);
      expect(into('sg-controlPlane')).toEqual(['sg-loadBalancer:8080']);
      expect(into('sg-worker')).toEqual([]);
      expect(cloud.ofType(T.securityGroup).every((g) => g.inputs.ingress === undefined)).toBe(true);
    });

    it('keeps the database and the cache private, in the isolated subnets', () => {
      const isolated = subnetIdsOf(cloud, 'isolated').sort();
      expect(isolated).toHaveLength(
        Number((loaded.settings.network as { azCount: number }).azCount),
      );
      const db = cloud.ofType(T.rds)[0].inputs;
      expect(db.publiclyAccessible).toBe(false);
      expect([...(cloud.ofType(T.rdsSubnetGroup)[0].inputs.subnetIds as string[])].sort()).toEqual(
        isolated,
      );
      expect(
        [...(cloud.ofType(T.cacheSubnetGroup)[0].inputs.subnetIds as string[])].sort(),
      ).toEqual(isolated);
      // The isolated route table has no route at all: no internet gateway, no NAT.
      const table = cloud.named(T.routeTable, 'network-isolated');
      expect(table.inputs.routes ?? []).toEqual([]);
      const associations = cloud
        .ofType(T.routeTableAssociation)
        .filter((a) => isolated.includes(str(a.inputs.subnetId)));
      expect(associations.map((a) => a.inputs.routeTableId)).toEqual(isolated.map(() => table.id));
    });

    it('runs every task without a public address, the tool runtime in the sandbox subnets', () => {
      const services = cloud.ofType(T.service);
      const placement = Object.fromEntries(
        services.map((s) => {
          const network = s.inputs.networkConfiguration as {
            subnets: string[];
            assignPublicIp: boolean;
          };
          expect(network.assignPublicIp).toBe(false);
          return [str(s.inputs.name), [...network.subnets].sort()];
        }),
      );
      const privateSubnets = subnetIdsOf(cloud, 'private').sort();
      expect(placement).toEqual({
        'control-plane': privateSubnets,
        'llm-gateway': privateSubnets,
        'orchestrator-worker': privateSubnets,
        'tool-runtime': subnetIdsOf(cloud, 'sandbox').sort(),
      });
      const alb = cloud.ofType(T.loadBalancer)[0].inputs;
      expect(alb.internal).toBe(false);
      expect([...(alb.subnets as string[])].sort()).toEqual(subnetIdsOf(cloud, 'public').sort());
    });

    it('lets no policy allow anyone outside the account', () => {
      for (const doc of allPolicyDocuments(cloud)) {
        for (const statement of doc.statements) {
          if (statement.Effect !== 'Allow' || statement.Principal === undefined) continue;
          expect(JSON.stringify(statement.Principal)).not.toMatch(/"\*"/);
        }
      }
    });
  });

  describe('encryption at rest everywhere', () => {
    it('encrypts the database, the cache and their traffic', () => {
      const db = cloud.ofType(T.rds)[0].inputs;
      expect(db).toMatchObject({ storageEncrypted: true, kmsKeyId: keyArn(cloud) });
      const cache = cloud.ofType(T.cache)[0];
      expect(cache.inputs).toMatchObject({
        atRestEncryptionEnabled: true,
        kmsKeyId: keyArn(cloud),
        transitEncryptionEnabled: true,
        authToken: TEST_SECRETS['gnomon:redisAuthToken'],
      });
      expect(cache.secretInputs).toContain('authToken');
      expect(cloud.ofType(T.kmsKey)[0].inputs.enableKeyRotation).toBe(true);
    });

    it('encrypts the queues, the bucket, the secrets, the logs, the images and the alarm topic', () => {
      for (const queue of cloud.ofType(T.queue))
        expect(queue.inputs.sqsManagedSseEnabled).toBe(true);
      const sse = cloud.ofType(T.bucketEncryption)[0].inputs.rules as {
        applyServerSideEncryptionByDefault: { sseAlgorithm: string; kmsMasterKeyId: string };
        bucketKeyEnabled: boolean;
      }[];
      expect(sse).toEqual([
        {
          applyServerSideEncryptionByDefault: {
            sseAlgorithm: 'aws:kms',
            kmsMasterKeyId: keyArn(cloud),
          },
          bucketKeyEnabled: true,
        },
      ]);
      const withKey = (type: string, field: string) =>
        cloud.ofType(type).map((r) => [r.name, r.inputs[field] === keyArn(cloud)]);
      for (const [type, field] of [
        [T.secret, 'kmsKeyId'],
        [T.logGroup, 'kmsKeyId'],
        [T.topic, 'kmsMasterKeyId'],
      ] as const) {
        const entries = withKey(type, field);
        expect(entries.length).toBeGreaterThan(0);
        expect(entries.filter(([, ok]) => !ok)).toEqual([]);
      }
      for (const repo of cloud.ofType(T.repository)) {
        expect(repo.inputs.encryptionConfigurations).toEqual([
          { encryptionType: 'KMS', kmsKey: keyArn(cloud) },
        ]);
      }
    });

    it('blocks public access to the bucket, versions it and denies plain HTTP', () => {
      expect(cloud.ofType(T.bucketPublicAccess)[0].inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(cloud.ofType(T.bucketVersioning)[0].inputs.versioningConfiguration).toEqual({
        status: 'Enabled',
      });
      const [statement] = (
        JSON.parse(str(cloud.ofType(T.bucketPolicy)[0].inputs.policy)) as { Statement: unknown[] }
      ).Statement;
      expect(statement).toMatchObject({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
      const rules = cloud.ofType(T.bucketLifecycle)[0].inputs.rules as { id: string }[];
      expect(rules.map((r) => r.id)).toEqual([
        'tier-tenant-objects',
        'expire-old-versions',
        'abort-incomplete-uploads',
      ]);
    });
  });

  describe('step queue', () => {
    it('redrives to the dead-letter queue after maxReceiveCount receives', () => {
      const queue = cloud.named(T.queue, 'steps');
      const dlq = cloud.named(T.queue, 'steps-dlq');
      expect(JSON.parse(str(queue.inputs.redrivePolicy))).toEqual({
        deadLetterTargetArn: loaded.outputs.deadLetterQueueArn,
        maxReceiveCount: loaded.settings.maxReceiveCount,
      });
      expect(loaded.settings.maxReceiveCount).toBe(5);
      expect(dlq.inputs.messageRetentionSeconds).toBe(14 * 24 * 3600);
      const alarm = cloud.named(T.alarm, 'alarms-dead-letters').inputs;
      expect(alarm).toMatchObject({
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: dlq.inputs.name },
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
      });
    });

    it('hides a received message for longer than the longest step', () => {
      const queue = cloud.named(T.queue, 'steps');
      expect(Number(queue.inputs.visibilityTimeoutSeconds)).toBeGreaterThan(
        RUN_STATE_MACHINE_TIMING.stepTimeoutSeconds,
      );
    });
  });

  describe('run state machine', () => {
    it('deploys byte for byte the definition the local engine runs', () => {
      const machine = cloud.ofType(T.stateMachine)[0].inputs;
      const queueUrl = str(loaded.outputs.stepQueueUrl);
      expect(queueUrl).toMatch(/^https:\/\/sqs\./);
      expect(machine.definition).toBe(renderRunStateMachine({ stepQueueUrl: queueUrl }));
    });

    it('logs and traces, and its role may only send to the step queue', () => {
      const machine = cloud.ofType(T.stateMachine)[0].inputs;
      expect(machine.tracingConfiguration).toEqual({ enabled: true });
      const logging = machine.loggingConfiguration as Record<string, unknown>;
      expect(logging.includeExecutionData).toBe(true);
      expect(str(logging.logDestination)).toMatch(
        new RegExp(`log-group:/aws/vendedlogs/states/gnomon-${stack}-runs:\\*$`),
      );
      const statements = rolePolicyStatements(cloud, 'runs');
      const sqs = allowedActions(statements).filter((a) => a.startsWith('sqs:'));
      expect(sqs).toEqual(['sqs:SendMessage']);
      expect(resourcesFor(statements, 'sqs:SendMessage')).toEqual([loaded.outputs.stepQueueArn]);
      expect(resourcesFor(statements, 'states:StartExecution')).toEqual([
        loaded.outputs.stateMachineArn,
      ]);
      expect(allowedActions(statements).filter((a) => !/^(logs|xray):/.test(a))).toEqual([
        'sqs:SendMessage',
        'states:StartExecution',
      ]);
    });
  });
}
