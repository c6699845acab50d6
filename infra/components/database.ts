import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface DatabaseArgs {
  namePrefix: string;
  subnetIds: pulumi.Input<string>[];
  securityGroupId: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  instanceClass: string;
  engineVersion: string;
  allocatedStorageGb: number;
  maxAllocatedStorageGb: number;
  multiAz: boolean;
  backupRetentionDays: number;
  deletionProtection: boolean;
  performanceInsights: boolean;
  /** Keep a final snapshot on deletion and refuse `pulumi destroy`. */
  protectData: boolean;
  logRetentionDays: number;
  /** Master (owner) password: runs migrations, owns the schema. */
  ownerPassword: pulumi.Input<string>;
  /** Password of the application login role, which only has `gnomon_app` (ADR 0003). */
  appPassword: pulumi.Input<string>;
}

export const DATABASE_NAME = 'gnomon';
export const DATABASE_OWNER = 'gnomon_owner';
/** The login role the services connect as; the migration task creates it (release/app-login.mjs). */
export const DATABASE_APP_LOGIN = 'gnomon_service';
/** The RDS CA bundle baked into every image by its Dockerfile. */
export const RDS_CA_BUNDLE = '/etc/ssl/certs/rds-global-bundle.pem';

/** A libpq URL that verifies the server certificate against the RDS CA. */
export function postgresUrl(
  user: string,
  password: pulumi.Input<string>,
  host: pulumi.Input<string>,
  port: pulumi.Input<number>,
): pulumi.Output<string> {
  return pulumi.secret(
    pulumi
      .all([password, host, port])
      .apply(
        ([pw, h, p]) =>
          `postgresql://${user}:${encodeURIComponent(pw)}@${h}:${p}/${DATABASE_NAME}` +
          `?sslmode=verify-full&sslrootcert=${RDS_CA_BUNDLE}`,
      ),
  );
}

/**
 * RDS PostgreSQL in the isolated subnets: encrypted with the stack key, TLS required, automated
 * backups with point-in-time recovery, Multi-AZ and deletion protection where the stack says so,
 * never publicly accessible.
 */
export class Database extends pulumi.ComponentResource {
  readonly instance: aws.rds.Instance;
  readonly address: pulumi.Output<string>;
  readonly port: pulumi.Output<number>;
  /** Owner URL, for the migration task only. */
  readonly ownerUrl: pulumi.Output<string>;
  /** The services' URL (login role with gnomon_app membership only). */
  readonly appUrl: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:Database', name, {}, opts);
    const parent = { parent: this };
    const identifier = `${args.namePrefix}-postgres`;
    const major = args.engineVersion.split('.')[0];

    const subnetGroup = new aws.rds.SubnetGroup(
      name,
      { subnetIds: args.subnetIds, description: `${identifier}: isolated subnets` },
      parent,
    );
    const parameters = new aws.rds.ParameterGroup(
      name,
      {
        family: `postgres${major}`,
        description: `${identifier}: TLS only, slow statements logged`,
        parameters: [
          { name: 'rds.force_ssl', value: '1' },
          { name: 'log_min_duration_statement', value: '1000' },
        ],
      },
      parent,
    );
    // Created here so the exported logs get retention and encryption (RDS would create it bare).
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-postgresql`,
      {
        name: `/aws/rds/instance/${identifier}/postgresql`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.kmsKeyArn,
      },
      parent,
    );

    this.instance = new aws.rds.Instance(
      name,
      {
        identifier,
        engine: 'postgres',
        engineVersion: args.engineVersion,
        instanceClass: args.instanceClass,
        dbName: DATABASE_NAME,
        username: DATABASE_OWNER,
        password: args.ownerPassword,
        allocatedStorage: args.allocatedStorageGb,
        maxAllocatedStorage: args.maxAllocatedStorageGb,
        storageType: 'gp3',
        storageEncrypted: true,
        kmsKeyId: args.kmsKeyArn,
        multiAz: args.multiAz,
        dbSubnetGroupName: subnetGroup.name,
        vpcSecurityGroupIds: [args.securityGroupId],
        publiclyAccessible: false,
        parameterGroupName: parameters.name,
        caCertIdentifier: 'rds-ca-rsa2048-g1',
        backupRetentionPeriod: args.backupRetentionDays,
        backupWindow: '03:00-04:00',
        maintenanceWindow: 'sun:04:30-sun:05:30',
        copyTagsToSnapshot: true,
        deleteAutomatedBackups: !args.protectData,
        deletionProtection: args.deletionProtection,
        skipFinalSnapshot: !args.protectData,
        finalSnapshotIdentifier: args.protectData ? `${identifier}-final` : undefined,
        autoMinorVersionUpgrade: true,
        applyImmediately: !args.protectData,
        performanceInsightsEnabled: args.performanceInsights,
        performanceInsightsKmsKeyId: args.performanceInsights ? args.kmsKeyArn : undefined,
        enabledCloudwatchLogsExports: ['postgresql'],
      },
      { parent: this, dependsOn: [logGroup], protect: args.protectData },
    );
    this.address = this.instance.address;
    this.port = this.instance.port;
    this.ownerUrl = postgresUrl(DATABASE_OWNER, args.ownerPassword, this.address, this.port);
    this.appUrl = postgresUrl(DATABASE_APP_LOGIN, args.appPassword, this.address, this.port);
    this.registerOutputs({ address: this.address });
  }
}
