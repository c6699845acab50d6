import { wildcardGrants } from '../policies/policy-document';
import type { MockCloud } from './mock-cloud';
import { TEST_SECRETS, type LoadedStack } from './stack-harness';
import {
  allowedActions,
  allPolicyDocuments,
  asList,
  resourcesFor,
  rolePolicyStatements,
  T,
  taskDefinition,
  taskDefinitions,
} from './deployment-view';
import {
  CONTAINER_SECRETS,
  EXECUTION_ROLE_ACTIONS,
  str,
  TASK_ROLE_ACTIONS,
  type StackContext,
} from './expected-deployment';

/** Least privilege, secrets, compute and availability of one stack (see stack-suite.ts). */
export function workloadChecks(context: StackContext): void {
  let loaded: LoadedStack;
  let cloud: MockCloud;
  beforeAll(() => {
    loaded = context.loaded();
    cloud = loaded.cloud;
  });
  const { stack, expected } = context;

  describe('least privilege', () => {
    it('grants each task role exactly the actions its application calls', () => {
      for (const [app, actions] of Object.entries(TASK_ROLE_ACTIONS)) {
        expect([app, allowedActions(rolePolicyStatements(cloud, `roles-${app}-task`))]).toEqual([
          app,
          actions,
        ]);
      }
    });

    it('lets the tool runtime write only under the artifact prefix, and read nothing', () => {
      const statements = rolePolicyStatements(cloud, 'roles-tool-runtime-task');
      const bucket = str(loaded.outputs.artifactBucketName);
      expect(resourcesFor(statements, 's3:PutObject')).toEqual([
        `arn:aws:s3:::${bucket}/tenants/*/runs/*/steps/*`,
      ]);
      expect(resourcesFor(statements, 's3:ListBucket')).toEqual([`arn:aws:s3:::${bucket}`]);
      expect(allowedActions(statements).filter((a) => /Get|Delete/.test(a))).toEqual([]);
    });

    it('lets each execution role read exactly the secrets its containers receive', () => {
      for (const workload of Object.keys(CONTAINER_SECRETS)) {
        const statements = rolePolicyStatements(cloud, `roles-${workload}-execution`);
        expect(allowedActions(statements)).toEqual(EXECUTION_ROLE_ACTIONS);
        const family = `gnomon-${stack}-${workload === 'migration' ? 'migrate' : workload}`;
        const injected = taskDefinition(cloud, family).containers.flatMap((c) =>
          c.secrets.map((s) => s.valueFrom),
        );
        expect(resourcesFor(statements, 'secretsmanager:GetSecretValue').sort()).toEqual(
          [...new Set(injected)].sort(),
        );
      }
    });

    it('allows no `*` or `service:*` action in any policy document', () => {
      const documents = allPolicyDocuments(cloud);
      // every role's trust and inline policy, the key, bucket and queue policies, the redrive policies
      expect(documents.length).toBeGreaterThanOrEqual(2 * 11 + 4);
      const offending = documents.flatMap((d) =>
        wildcardGrants(d.statements).map((a) => `${d.resource}: ${a}`),
      );
      expect(offending).toEqual([]);
      // Wildcards appear only in Deny statements that refuse plain-HTTP requests.
      for (const doc of documents) {
        for (const statement of doc.statements) {
          if (asList(statement.Action).some((a) => a === '*' || a.endsWith(':*'))) {
            expect(statement).toMatchObject({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            });
          }
        }
      }
    });
  });

  describe('secrets', () => {
    it('injects secrets as task secrets, never as plain environment values', () => {
      const secretArns = new Set(cloud.ofType(T.secret).map((s) => str(s.attributes.arn)));
      const secretValues = Object.values(TEST_SECRETS);
      for (const definition of taskDefinitions(cloud)) {
        for (const container of definition.containers) {
          const plain = container.environment.map((e) => e.name);
          const secret = container.secrets.map((s) => s.name);
          expect(
            plain.filter(
              (name) =>
                secret.includes(name) ||
                /KEY|SECRET|TOKEN|PASSWORD|DATABASE_URL|REDIS_URL/.test(name),
            ),
          ).toEqual([]);
          for (const entry of container.secrets) expect(secretArns.has(entry.valueFrom)).toBe(true);
          const serialized = JSON.stringify(container);
          for (const value of secretValues) expect(serialized).not.toContain(value);
        }
        const main = definition.containers[0];
        const workload = main.name;
        expect([workload, main.secrets.map((s) => s.name)]).toEqual([
          workload,
          CONTAINER_SECRETS[workload],
        ]);
      }
    });

    it('keeps every secret value encrypted in the Pulumi state', () => {
      for (const version of cloud.ofType(T.secretVersion)) {
        expect([version.name, version.secretInputs]).toEqual([version.name, ['secretString']]);
      }
      expect(cloud.ofType(T.rds)[0].secretInputs).toContain('password');
    });

    it('redeploys a service, and reruns the migration, when a secret it reads is rotated', () => {
      for (const service of cloud.ofType(T.service)) {
        const name = str(service.inputs.name);
        expect(service.inputs.forceNewDeployment).toBe(true);
        const triggers = service.inputs.triggers as Record<string, string>;
        expect([name, Object.keys(triggers).sort()]).toEqual([name, CONTAINER_SECRETS[name]]);
        for (const [variable, version] of Object.entries(triggers)) {
          expect(`${variable}=${version}`).toMatch(/^[A-Z_]+=secrets-.+-version-1$/);
        }
      }
      const invocation = cloud.ofType(T.invocation)[0].inputs.triggers as Record<string, string>;
      expect(invocation).toEqual({
        taskDefinition: `arn:aws:ecs:us-east-1:123456789012:task-definition/gnomon-${stack}-migrate:1`,
        DATABASE_URL: 'secrets-database-owner-url-version-1',
        APP_DB_PASSWORD: 'secrets-database-app-password-version-1',
      });
    });

    it('gives the services the login role and only the migration the owner', () => {
      const value = (name: string) =>
        str(cloud.named(T.secretVersion, `secrets-${name}`).inputs.secretString);
      expect(value('database-url')).toMatch(
        /^postgresql:\/\/gnomon_service:test-app-password-0123456789ab@.+\/gnomon\?sslmode=verify-full&sslrootcert=/,
      );
      expect(value('database-owner-url')).toMatch(/^postgresql:\/\/gnomon_owner:/);
      expect(value('redis-url')).toMatch(/^rediss:\/\/:test-redis-auth-token-01234567@master\./);
    });
  });

  describe('compute', () => {
    it('rolls back failed deployments and health-checks every service', () => {
      for (const service of cloud.ofType(T.service)) {
        expect(service.inputs.deploymentCircuitBreaker).toEqual({ enable: true, rollback: true });
        expect(service.inputs.launchType).toBe('FARGATE');
      }
      for (const definition of taskDefinitions(cloud).filter(
        (d) => !d.family.endsWith('-migrate'),
      )) {
        const main = definition.containers[0];
        expect(main.healthCheck?.command.join(' ')).toContain(
          `127.0.0.1:${main.portMappings[0].containerPort}/healthz`,
        );
        expect(main.readonlyRootFilesystem).toBe(true);
      }
      for (const group of cloud.ofType(T.targetGroup)) {
        expect(group.inputs.healthCheck).toMatchObject({ path: '/readyz' });
      }
    });

    it('scales the APIs on CPU and requests and the worker on backlog per task', () => {
      const policies = cloud.ofType(T.scalingPolicy).map((p) => {
        const config = p.inputs.targetTrackingScalingPolicyConfiguration as {
          predefinedMetricSpecification?: { predefinedMetricType: string };
          customizedMetricSpecification?: {
            metrics: { expression?: string; metricStat?: { metric: { metricName: string } } }[];
          };
        };
        return [
          p.name,
          config.predefinedMetricSpecification?.predefinedMetricType ??
            config.customizedMetricSpecification?.metrics
              .map((m) => m.expression ?? m.metricStat?.metric.metricName)
              .join(','),
        ];
      });
      expect(Object.fromEntries(policies)).toEqual({
        'services-control-plane-cpu': 'ECSServiceAverageCPUUtilization',
        'services-control-plane-requests': 'ALBRequestCountPerTarget',
        'services-llm-gateway-cpu': 'ECSServiceAverageCPUUtilization',
        'services-llm-gateway-requests': 'ALBRequestCountPerTarget',
        'services-orchestrator-worker-backlog':
          'ApproximateNumberOfMessagesVisible,RunningTaskCount,visible / IF(tasks > 0, tasks, 1)',
        'services-tool-runtime-cpu': 'ECSServiceAverageCPUUtilization',
      });
      const sizes = loaded.settings.services as Record<
        string,
        { minTasks: number; maxTasks: number }
      >;
      const target = cloud.named(T.scalingTarget, 'services-orchestrator-worker').inputs;
      expect(target).toMatchObject({
        minCapacity: sizes.worker.minTasks,
        maxCapacity: sizes.worker.maxTasks,
      });
    });
  });

  describe('availability', () => {
    it(`is ${expected.multiAz ? '' : 'not '}Multi-AZ`, () => {
      const db = cloud.ofType(T.rds)[0].inputs;
      expect(db.multiAz).toBe(expected.multiAz);
      expect(db.deletionProtection).toBe(expected.deletionProtection);
      expect(Number(db.backupRetentionPeriod)).toBeGreaterThanOrEqual(1);
      const cache = cloud.ofType(T.cache)[0].inputs;
      expect(cache.numCacheClusters).toBe(expected.cacheNodes);
      expect(cache.automaticFailoverEnabled).toBe(expected.cacheNodes > 1);
      expect(cache.multiAzEnabled).toBe(expected.cacheNodes > 1);
    });
  });
}
