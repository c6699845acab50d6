import type { MockCloud } from './mock-cloud';
import type { LoadedStack, StackName } from './stack-harness';
import { T } from './deployment-view';

/** What the tests expect every stack to deploy, written down independently of the program. */

/**
 * The assertions every stack must pass, run by infra/stacks/<stack>.spec.ts against the
 * program under mocks with that stack's real configuration file.
 */

export interface StackExpectations {
  /** Resources that depend on the stack's size; every other count is the same in all stacks. */
  counts: Record<string, number>;
  multiAz: boolean;
  cacheNodes: number;
  deletionProtection: boolean;
}

/** Resource counts that do not depend on the stack (types the program always creates). */
export const FIXED_COUNTS: Record<string, number> = {
  'gnomon:infra:EncryptionKey': 1,
  'gnomon:infra:Network': 1,
  'gnomon:infra:SecurityGroups': 1,
  'gnomon:infra:Database': 1,
  'gnomon:infra:Cache': 1,
  'gnomon:infra:StepQueues': 1,
  'gnomon:infra:ArtifactBucket': 1,
  'gnomon:infra:PlatformSecrets': 1,
  'gnomon:infra:RunStateMachine': 1,
  'gnomon:infra:LogGroups': 1,
  'gnomon:infra:ServiceImages': 1,
  'gnomon:infra:ServiceCluster': 1,
  'gnomon:infra:ServiceRoles': 1,
  'gnomon:infra:PublicLoadBalancer': 1,
  'gnomon:infra:MigrationRunner': 1,
  'gnomon:infra:PlatformServices': 1,
  'gnomon:infra:PlatformAlarms': 1,
  'gnomon:infra:FargateService': 4,
  'gnomon:infra:ServiceAutoscaling': 4,
  'aws:kms/key:Key': 1,
  'aws:kms/alias:Alias': 1,
  'aws:ec2/vpc:Vpc': 1,
  'aws:ec2/internetGateway:InternetGateway': 1,
  // 6 interface endpoints (sqs, states, secretsmanager, ecr.api, ecr.dkr, logs) + S3 gateway
  'aws:ec2/vpcEndpoint:VpcEndpoint': 7,
  // 8 workloads and data stores + the endpoints' group
  'aws:ec2/securityGroup:SecurityGroup': 9,
  'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule': 14,
  'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule': 24,
  'aws:rds/subnetGroup:SubnetGroup': 1,
  'aws:rds/parameterGroup:ParameterGroup': 1,
  'aws:rds/instance:Instance': 1,
  'aws:elasticache/subnetGroup:SubnetGroup': 1,
  'aws:elasticache/parameterGroup:ParameterGroup': 1,
  'aws:elasticache/replicationGroup:ReplicationGroup': 1,
  'aws:sqs/queue:Queue': 2,
  'aws:sqs/queuePolicy:QueuePolicy': 2,
  'aws:sqs/redriveAllowPolicy:RedriveAllowPolicy': 1,
  'aws:s3/bucket:Bucket': 1,
  'aws:s3/bucketOwnershipControls:BucketOwnershipControls': 1,
  'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock': 1,
  'aws:s3/bucketVersioning:BucketVersioning': 1,
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration': 1,
  'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration': 1,
  'aws:s3/bucketPolicy:BucketPolicy': 1,
  // 9 platform secrets + the two provider keys the tests configure (OpenAI, Anthropic)
  'aws:secretsmanager/secret:Secret': 11,
  'aws:secretsmanager/secretVersion:SecretVersion': 11,
  'aws:sfn/stateMachine:StateMachine': 1,
  // 4 apps, migration, gateway metrics, state machine, RDS export, migration runner
  'aws:cloudwatch/logGroup:LogGroup': 9,
  'aws:ecr/repository:Repository': 4,
  'aws:ecr/lifecyclePolicy:LifecyclePolicy': 4,
  'docker-build:index:Image': 4,
  'aws:ecs/cluster:Cluster': 1,
  'aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace': 1,
  'aws:servicediscovery/service:Service': 2,
  // 4 task roles + 5 execution roles + state machine + migration runner
  'aws:iam/role:Role': 11,
  'aws:iam/rolePolicy:RolePolicy': 11,
  'aws:lb/loadBalancer:LoadBalancer': 1,
  'aws:lb/targetGroup:TargetGroup': 2,
  'aws:lb/listener:Listener': 2,
  'aws:lb/listenerRule:ListenerRule': 3,
  'aws:route53/record:Record': 2,
  'aws:ecs/taskDefinition:TaskDefinition': 5,
  'aws:ecs/service:Service': 4,
  'aws:lambda/function:Function': 1,
  'aws:lambda/invocation:Invocation': 1,
  'aws:appautoscaling/target:Target': 4,
  // CPU and requests for both APIs, backlog for the worker, CPU for the tool runtime
  'aws:appautoscaling/policy:Policy': 6,
  'aws:sns/topic:Topic': 1,
  'aws:cloudwatch/metricAlarm:MetricAlarm': 5,
  'aws:cloudwatch/logMetricFilter:LogMetricFilter': 1,
};

/** What each application may call, exactly. */
export const TASK_ROLE_ACTIONS: Record<string, string[]> = {
  'control-plane': [
    'kms:Decrypt',
    's3:GetObject',
    's3:ListBucket',
    'states:SendTaskSuccess',
    'states:StartExecution',
    'states:StopExecution',
  ],
  'llm-gateway': ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
  'orchestrator-worker': [
    'kms:Decrypt',
    'kms:GenerateDataKey',
    's3:GetObject',
    's3:PutObject',
    'sqs:ChangeMessageVisibility',
    'sqs:DeleteMessage',
    'sqs:ReceiveMessage',
    'states:SendTaskFailure',
    'states:SendTaskHeartbeat',
    'states:SendTaskSuccess',
  ],
  'tool-runtime': ['kms:GenerateDataKey', 's3:ListBucket', 's3:PutObject'],
};

export const EXECUTION_ROLE_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:GetAuthorizationToken',
  'ecr:GetDownloadUrlForLayer',
  'kms:Decrypt',
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'secretsmanager:GetSecretValue',
];

/** The secrets each container receives (by variable name). */
export const CONTAINER_SECRETS: Record<string, string[]> = {
  'control-plane': [
    'DATABASE_URL',
    'GNOMON_ADMIN_KEY',
    'GNOMON_API_KEY_PEPPER',
    'GNOMON_CURSOR_SECRET',
    'GNOMON_ENCRYPTION_KEY',
    'GNOMON_SERVICE_TOKEN',
    'REDIS_URL',
  ],
  'llm-gateway': [
    'ANTHROPIC_API_KEY',
    'DATABASE_URL',
    'GNOMON_API_KEY_PEPPER',
    'GNOMON_ENCRYPTION_KEY',
    'GNOMON_SERVICE_TOKEN',
    'OPENAI_API_KEY',
    'REDIS_URL',
  ],
  'orchestrator-worker': ['DATABASE_URL', 'GNOMON_SERVICE_TOKEN'],
  'tool-runtime': ['GNOMON_SERVICE_TOKEN'],
  migration: ['APP_DB_PASSWORD', 'DATABASE_URL'],
};

export interface StackContext {
  stack: StackName;
  expected: StackExpectations;
  /** The stack as loaded by the suite's beforeAll. */
  loaded: () => LoadedStack;
}

export const str = (value: unknown) => String(value);
export const keyArn = (cloud: MockCloud) => str(cloud.ofType(T.kmsKey)[0].attributes.arn);
