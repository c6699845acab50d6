// Gnomon on AWS, one stack per environment (docs/deploy.md). This file only composes the
// components under components/ and exports what operators need.
import './workspace-paths';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { loadStackConfig, loadStackSecrets } from './config/stack-config';
import { PlatformAlarms } from './components/alarms';
import { workloadEnvironments } from './components/app-environments';
import { Cache } from './components/cache';
import { ServiceCluster } from './components/cluster';
import { Database } from './components/database';
import { EncryptionKey } from './components/encryption-key';
import { ServiceImages } from './components/images';
import { PublicLoadBalancer } from './components/load-balancer';
import { APPS, LogGroups, type AppName } from './components/log-groups';
import { StepQueues } from './components/messaging';
import { MigrationRunner } from './components/migration';
import { Network } from './components/network';
import { RunStateMachine } from './components/orchestration';
import { PlatformServices, workloadContainer } from './components/platform-services';
import { PlatformSecrets, type SecretName } from './components/secrets';
import { PORTS, SecurityGroups } from './components/security-groups';
import { ArtifactBucket } from './components/storage';
import { ServiceRoles, type Workload } from './components/task-roles';

const config = loadStackConfig();
const secrets = loadStackSecrets();
const { namePrefix, region, protectData } = config;
const accountId = aws.getCallerIdentityOutput().accountId;
const perApp = <T>(make: (app: AppName) => T) =>
  Object.fromEntries(APPS.map((app) => [app, make(app)])) as Record<AppName, T>;

const key = new EncryptionKey('key', { namePrefix, region, accountId, protectData });
const network = new Network('network', {
  namePrefix,
  region,
  cidr: config.network.cidr,
  azCount: config.network.azCount,
  natGateways: config.network.natGateways,
  sandboxInternetEgress: config.network.toolRuntimeInternetEgress,
});
const groups = new SecurityGroups('sg', {
  namePrefix,
  vpcId: network.vpcId,
  vpcCidr: network.cidr,
  s3PrefixListId: network.s3PrefixListId,
  toolRuntimeInternetEgress: config.network.toolRuntimeInternetEgress,
});

const database = new Database('postgres', {
  namePrefix,
  subnetIds: network.subnetIds.isolated,
  securityGroupId: groups.ids.database,
  kmsKeyArn: key.arn,
  ...config.database,
  protectData,
  logRetentionDays: config.logRetentionDays,
  ownerPassword: secrets.values.databaseOwnerPassword,
  appPassword: secrets.values.databaseAppPassword,
});
const cache = new Cache('redis', {
  namePrefix,
  subnetIds: network.subnetIds.isolated,
  securityGroupId: groups.ids.cache,
  kmsKeyArn: key.arn,
  ...config.cache,
  authToken: secrets.values.redisAuthToken,
});
const queues = new StepQueues('steps', { namePrefix, maxReceiveCount: config.maxReceiveCount });
const bucket = new ArtifactBucket('artifacts', {
  namePrefix,
  accountId,
  kmsKeyArn: key.arn,
  expirationDays: config.artifactExpirationDays,
  protectData,
});
const platformSecrets = new PlatformSecrets('secrets', {
  namePrefix,
  kmsKeyArn: key.arn,
  protectData,
  values: {
    DATABASE_URL: database.appUrl,
    DATABASE_OWNER_URL: database.ownerUrl,
    DATABASE_APP_PASSWORD: secrets.values.databaseAppPassword,
    REDIS_URL: cache.url,
    GNOMON_ADMIN_KEY: secrets.values.adminKey,
    GNOMON_SERVICE_TOKEN: secrets.values.serviceToken,
    GNOMON_API_KEY_PEPPER: secrets.values.apiKeyPepper,
    GNOMON_CURSOR_SECRET: secrets.values.cursorSecret,
    GNOMON_ENCRYPTION_KEY: secrets.values.encryptionKey,
    ...secrets.optional,
  },
});
const stateMachine = new RunStateMachine('runs', {
  namePrefix,
  region,
  accountId,
  stepQueueUrl: queues.queue.url,
  stepQueueArn: queues.queue.arn,
  kmsKeyArn: key.arn,
  logRetentionDays: config.logRetentionDays,
  logLevel: config.stateMachineLogLevel,
});

const logs = new LogGroups('logs', {
  namePrefix,
  kmsKeyArn: key.arn,
  retentionDays: config.logRetentionDays,
});
const images = new ServiceImages('images', {
  namePrefix,
  kmsKeyArn: key.arn,
  cpuArchitecture: config.cpuArchitecture,
  forceDelete: !protectData,
});
const cluster = new ServiceCluster('cluster', { namePrefix, vpcId: network.vpcId });

const environments = workloadEnvironments(
  {
    region,
    stateMachineArn: stateMachine.arn,
    stepQueueUrl: queues.queue.url,
    artifactBucket: bucket.name,
    llmGatewayUrl: `http://llm-gateway.${cluster.namespaceName}:${PORTS.llmGateway}`,
    toolRuntimeUrl: `http://tool-runtime.${cluster.namespaceName}:${PORTS.toolRuntime}`,
    apiUrl: `https://${config.domain.apiHost}`,
  },
  {
    dbPoolSize: {
      'control-plane': config.services.controlPlane.dbPoolSize,
      'llm-gateway': config.services.llmGateway.dbPoolSize,
    },
    worker: config.services.worker,
    toolRuntime: config.services.toolRuntime,
    optionalSecrets: Object.keys(secrets.optional) as (keyof typeof secrets.optional)[],
    oidc: config.oidc,
  },
);
const secretArnsOf = (workload: Workload) =>
  Object.values(environments[workload].secrets).map((secret: SecretName) =>
    platformSecrets.arn(secret),
  );
const workloads: Workload[] = [...APPS, 'migration'];
const roles = new ServiceRoles('roles', {
  namePrefix,
  region,
  accountId,
  kmsKeyArn: key.arn,
  stateMachineArn: stateMachine.arn,
  stateMachineName: stateMachine.name,
  stepQueueArn: queues.queue.arn,
  bucketArn: bucket.arn,
  repositoryArns: {
    ...perApp((app) => images.repositories[app].arn),
    migration: images.repositories['control-plane'].arn,
  },
  logGroupArns: Object.fromEntries(workloads.map((w) => [w, [logs.arn(w)]])) as Record<
    Workload,
    pulumi.Output<string>[]
  >,
  gatewayMetricsLogGroupArn: logs.arn('gateway-metrics'),
  secretArns: Object.fromEntries(workloads.map((w) => [w, secretArnsOf(w)])) as Record<
    Workload,
    pulumi.Output<string>[]
  >,
});

const loadBalancer = new PublicLoadBalancer('alb', {
  namePrefix,
  vpcId: network.vpcId,
  subnetIds: network.subnetIds.public,
  securityGroupId: groups.ids.loadBalancer,
  ...config.domain,
  deletionProtection: protectData,
});

const migration = new MigrationRunner('migrate', {
  namePrefix,
  region,
  accountId,
  kmsKeyArn: key.arn,
  logRetentionDays: config.logRetentionDays,
  clusterArn: cluster.arn,
  cpuArchitecture: config.cpuArchitecture,
  container: workloadContainer(
    'migration',
    images.refs['control-plane'],
    environments.migration,
    (secret) => platformSecrets.arn(secret),
    logs.name('migration'),
  ),
  executionRole: roles.executionRoles.migration,
  subnetIds: network.subnetIds.private,
  securityGroupId: groups.ids.migration,
  dependsOn: [database.instance, ...platformSecrets.versions],
  rerunOn: Object.fromEntries(
    Object.entries(environments.migration.secrets).map(([variable, secret]) => [
      variable,
      platformSecrets.versionId(secret),
    ]),
  ),
});

const services = new PlatformServices('services', {
  config,
  clusterArn: cluster.arn,
  clusterName: cluster.name,
  discoveryNamespaceId: cluster.namespaceId,
  subnetIds: { private: network.subnetIds.private, sandbox: network.subnetIds.sandbox },
  securityGroupIds: groups.ids,
  imageRefs: images.refs,
  executionRoleArns: perApp((app) => roles.executionRoles[app].arn),
  taskRoleArns: perApp((app) => roles.taskRoles[app].arn),
  logGroupNames: {
    ...perApp((app) => logs.name(app)),
    'gateway-metrics': logs.name('gateway-metrics'),
  },
  environments,
  secretArn: (secret) => platformSecrets.arn(secret),
  secretVersion: (secret) => platformSecrets.versionId(secret),
  loadBalancer,
  stepQueueName: queues.queue.name,
  dependsOn: [migration.invocation, cache.replicationGroup, ...platformSecrets.versions],
});

const alarms = new PlatformAlarms('alarms', {
  namePrefix,
  stack: config.stack,
  kmsKeyArn: key.arn,
  alarmEmail: config.alarmEmail,
  deadLetterQueueName: queues.deadLetterQueue.name,
  loadBalancerArnSuffix: loadBalancer.loadBalancer.arnSuffix,
  targetGroupArnSuffixes: {
    controlPlane: loadBalancer.targetGroups.controlPlane.arnSuffix,
    llmGateway: loadBalancer.targetGroups.llmGateway.arnSuffix,
  },
  gatewayLogGroupName: logs.name('llm-gateway'),
});

export const apiUrl = loadBalancer.apiUrl;
export const gatewayUrl = loadBalancer.gatewayUrl;
export const dashboardUrl = loadBalancer.dashboardUrl;
export const stepQueueUrl = queues.queue.url;
export const stepQueueArn = queues.queue.arn;
export const deadLetterQueueArn = queues.deadLetterQueue.arn;
export const stateMachineArn = stateMachine.arn;
export const artifactBucketName = bucket.name;
export const clusterName = cluster.name;
export const serviceNames = perApp((app) => services.services[app].service.name);
export const migrationTaskDefinitionArn = migration.taskDefinition.arn;
export const migrationRunnerFunction = migration.functionName;
export const migrationRunnerPayload = migration.payload;
export const alarmTopicArn = alarms.topic.arn;
export const logGroups = {
  ...perApp((app) => logs.name(app)),
  migration: logs.name('migration'),
  gatewayMetrics: logs.name('gateway-metrics'),
  stateMachine: stateMachine.logGroupName,
};
