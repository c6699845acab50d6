import * as pulumi from '@pulumi/pulumi';

/** One container of a task, as the services describe it; rendered to ECS's JSON below. */
export interface ContainerSpec {
  name: string;
  image: pulumi.Input<string>;
  essential: boolean;
  /** TCP port the container listens on (the task's awsvpc address). */
  port?: number;
  command?: string[];
  /** Plain settings. Never a secret: those go in `secrets`. */
  environment: Record<string, pulumi.Input<string>>;
  /** Variable name → Secrets Manager ARN; the ECS agent resolves them at start. */
  secrets: Record<string, pulumi.Input<string>>;
  /** In-container liveness probe (GET http://127.0.0.1:<port><path>). */
  healthCheck?: { port: number; path: string };
  logGroupName: pulumi.Input<string>;
  logStreamPrefix: string;
  /** Read-only root with a scratch volume at /tmp (the apps write only there). */
  readonlyRootFilesystem: boolean;
  stopTimeoutSeconds?: number;
}

/** The fields of an ECS container definition this program sets. */
export interface ContainerDefinition {
  name: string;
  image: string;
  essential: boolean;
  command?: string[];
  portMappings: { containerPort: number; protocol: 'tcp' }[];
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
  healthCheck?: {
    command: string[];
    interval: number;
    timeout: number;
    retries: number;
    startPeriod: number;
  };
  logConfiguration: {
    logDriver: 'awslogs';
    options: Record<string, string>;
  };
  readonlyRootFilesystem: boolean;
  mountPoints: { sourceVolume: string; containerPath: string; readOnly: boolean }[];
  linuxParameters: { initProcessEnabled: boolean };
  stopTimeout?: number;
}

/** The task volume mounted at /tmp when the root filesystem is read-only. */
export const SCRATCH_VOLUME = 'tmp';

/** The images have no curl: Node itself probes the health endpoint. */
export function healthProbe(port: number, path: string): string[] {
  return [
    'CMD',
    'node',
    '-e',
    `fetch('http://127.0.0.1:${port}${path}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
  ];
}

function sortedPairs(record: Record<string, string>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}

function overlapping(spec: ContainerSpec): string[] {
  return Object.keys(spec.environment).filter((name) => name in spec.secrets);
}

/** ECS container definitions JSON; variables sorted so unchanged settings never cause a diff. */
export function renderContainerDefinitions(
  specs: ContainerSpec[],
  region: string,
): pulumi.Output<string> {
  for (const spec of specs) {
    const both = overlapping(spec);
    if (both.length > 0)
      throw new Error(`${spec.name}: ${both.join(', ')} set both as secret and as plain value`);
  }
  const resolved = specs.map((spec) =>
    pulumi.all([
      spec.image,
      pulumi.all(spec.environment),
      pulumi.all(spec.secrets),
      spec.logGroupName,
    ]),
  );
  return pulumi.all(resolved).apply((containers) =>
    JSON.stringify(
      containers.map(([image, environment, secrets, logGroupName], i): ContainerDefinition => {
        const spec = specs[i];
        return {
          name: spec.name,
          image,
          essential: spec.essential,
          ...(spec.command ? { command: spec.command } : {}),
          portMappings: spec.port ? [{ containerPort: spec.port, protocol: 'tcp' }] : [],
          environment: sortedPairs(environment).map(([name, value]) => ({ name, value })),
          secrets: sortedPairs(secrets).map(([name, valueFrom]) => ({ name, valueFrom })),
          ...(spec.healthCheck
            ? {
                healthCheck: {
                  command: healthProbe(spec.healthCheck.port, spec.healthCheck.path),
                  interval: 15,
                  timeout: 5,
                  retries: 3,
                  startPeriod: 30,
                },
              }
            : {}),
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': logGroupName,
              'awslogs-region': region,
              'awslogs-stream-prefix': spec.logStreamPrefix,
              mode: 'non-blocking',
              'max-buffer-size': '25m',
            },
          },
          readonlyRootFilesystem: spec.readonlyRootFilesystem,
          mountPoints: spec.readonlyRootFilesystem
            ? [{ sourceVolume: SCRATCH_VOLUME, containerPath: '/tmp', readOnly: false }]
            : [],
          linuxParameters: { initProcessEnabled: true },
          ...(spec.stopTimeoutSeconds !== undefined
            ? { stopTimeout: spec.stopTimeoutSeconds }
            : {}),
        };
      }),
    ),
  );
}
