import * as aws from '@pulumi/aws';
import * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';
import path from 'node:path';
import { APPS, type AppName } from './log-groups';

export interface ServiceImagesArgs {
  namePrefix: string;
  kmsKeyArn: pulumi.Input<string>;
  cpuArchitecture: 'X86_64' | 'ARM64';
  /** Delete the repositories (and their images) on `pulumi destroy`. */
  forceDelete: boolean;
  /** The repository root: the build context of every Dockerfile. */
  repoRoot?: string;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Keep the last 30 images; older ones only cost storage (tasks run by digest). */
const LIFECYCLE_POLICY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: 'keep the 30 most recent images',
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 30 },
      action: { type: 'expire' },
    },
  ],
});

/**
 * An ECR repository per app and its image, built from `apps/<app>/Dockerfile` with the repository
 * root as context and pushed on `pulumi up`. Tasks reference `ref` (tag@digest), so a rebuilt
 * image rolls the service and an unchanged one does not.
 */
export class ServiceImages extends pulumi.ComponentResource {
  readonly repositories: Record<AppName, aws.ecr.Repository>;
  /** `<repo>:<stack>@sha256:…` per app. */
  readonly refs: Record<AppName, pulumi.Output<string>>;

  constructor(name: string, args: ServiceImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:ServiceImages', name, {}, opts);
    const repoRoot = args.repoRoot ?? REPO_ROOT;
    const platform =
      args.cpuArchitecture === 'ARM64'
        ? dockerBuild.Platform.Linux_arm64
        : dockerBuild.Platform.Linux_amd64;
    const repositories = {} as Record<AppName, aws.ecr.Repository>;
    const refs = {} as Record<AppName, pulumi.Output<string>>;
    // One token for the account's registry, which holds every repository below.
    const auth = aws.ecr.getAuthorizationTokenOutput({}, { parent: this });

    for (const app of APPS) {
      const repository = new aws.ecr.Repository(
        `${name}-${app}`,
        {
          name: `${args.namePrefix}/${app}`,
          imageTagMutability: 'MUTABLE',
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfigurations: [{ encryptionType: 'KMS', kmsKey: args.kmsKeyArn }],
          forceDelete: args.forceDelete,
        },
        { parent: this },
      );
      new aws.ecr.LifecyclePolicy(
        `${name}-${app}`,
        { repository: repository.name, policy: LIFECYCLE_POLICY },
        { parent: this },
      );
      const image = new dockerBuild.Image(
        `${name}-${app}`,
        {
          context: { location: repoRoot },
          dockerfile: { location: path.join(repoRoot, 'apps', app, 'Dockerfile') },
          platforms: [platform],
          // Layers of every stage (the shared `npm ci` and build) are cached in the repository,
          // so a rebuild on another machine only redoes what changed.
          cacheFrom: [{ registry: { ref: pulumi.interpolate`${repository.repositoryUrl}:cache` } }],
          cacheTo: [
            {
              registry: {
                ref: pulumi.interpolate`${repository.repositoryUrl}:cache`,
                mode: dockerBuild.CacheMode.Max,
                imageManifest: true,
                ociMediaTypes: true,
                ignoreError: true,
              },
            },
          ],
          push: true,
          tags: [pulumi.interpolate`${repository.repositoryUrl}:${pulumi.getStack()}`],
          registries: [
            {
              address: repository.repositoryUrl,
              username: auth.userName,
              password: pulumi.secret(auth.password),
            },
          ],
          // Previews do not build (a `pulumi preview` stays fast); `pulumi up` does.
          buildOnPreview: false,
        },
        { parent: this },
      );
      repositories[app] = repository;
      refs[app] = image.ref;
    }
    this.repositories = repositories;
    this.refs = refs;
    this.registerOutputs({});
  }
}
