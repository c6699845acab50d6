import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/**
 * Every secret the services read, by the environment variable it is injected as. The ECS agent
 * reads them with each service's execution role and passes them to the container; no task
 * definition carries a value.
 */
export type SecretName =
  | 'DATABASE_URL'
  | 'DATABASE_OWNER_URL'
  | 'DATABASE_APP_PASSWORD'
  | 'REDIS_URL'
  | 'GNOMON_ADMIN_KEY'
  | 'GNOMON_SERVICE_TOKEN'
  | 'GNOMON_API_KEY_PEPPER'
  | 'GNOMON_CURSOR_SECRET'
  | 'GNOMON_ENCRYPTION_KEY'
  | 'OPENAI_API_KEY'
  | 'ANTHROPIC_API_KEY'
  | 'GEMINI_API_KEY'
  | 'GNOMON_OIDC_CLIENT_SECRET';

export interface PlatformSecretsArgs {
  namePrefix: string;
  kmsKeyArn: pulumi.Input<string>;
  /** 30 days to undo a deletion; otherwise deleted at once (so a dev stack can be recreated). */
  protectData: boolean;
  values: Partial<Record<SecretName, pulumi.Input<string>>>;
}

/** Secrets Manager path of a secret: `gnomon/<stack>/<kebab-name>`. */
export function secretPath(namePrefix: string, secret: SecretName): string {
  const [, stack] = /^gnomon-(.+)$/.exec(namePrefix) ?? [namePrefix, namePrefix];
  return `gnomon/${stack}/${secret.toLowerCase().replaceAll('_', '-')}`;
}

/** The platform's secrets in Secrets Manager, encrypted with the stack key. */
export class PlatformSecrets extends pulumi.ComponentResource {
  /** Secret ARN by variable name, for task definitions and execution-role policies. */
  readonly arns: Partial<Record<SecretName, pulumi.Output<string>>> = {};
  /** The versions, so consumers can wait until a value is stored. */
  readonly versions: aws.secretsmanager.SecretVersion[] = [];
  /** Current version id by variable name: a change means the value was rotated. */
  readonly versionIds: Partial<Record<SecretName, pulumi.Output<string>>> = {};

  constructor(name: string, args: PlatformSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:PlatformSecrets', name, {}, opts);
    for (const [secret, value] of Object.entries(args.values) as [
      SecretName,
      pulumi.Input<string>,
    ][]) {
      const id = `${name}-${secret.toLowerCase().replaceAll('_', '-')}`;
      const resource = new aws.secretsmanager.Secret(
        id,
        {
          name: secretPath(args.namePrefix, secret),
          kmsKeyId: args.kmsKeyArn,
          recoveryWindowInDays: args.protectData ? 30 : 0,
          description: `Injected into Gnomon tasks as ${secret}`,
        },
        { parent: this },
      );
      const version = new aws.secretsmanager.SecretVersion(
        id,
        { secretId: resource.id, secretString: pulumi.secret(value) },
        { parent: this },
      );
      this.versions.push(version);
      this.versionIds[secret] = version.versionId;
      this.arns[secret] = resource.arn;
    }
    this.registerOutputs({});
  }

  versionId(secret: SecretName): pulumi.Output<string> {
    const id = this.versionIds[secret];
    if (!id) throw new Error(`secret ${secret} is not configured for this stack`);
    return id;
  }

  arn(secret: SecretName): pulumi.Output<string> {
    const arn = this.arns[secret];
    if (!arn) throw new Error(`secret ${secret} is not configured for this stack`);
    return arn;
  }
}
