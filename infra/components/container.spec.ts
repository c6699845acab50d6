import { renderContainerDefinitions, type ContainerSpec } from './container';

const spec = (overrides: Partial<ContainerSpec>): ContainerSpec => ({
  name: 'app',
  image: 'repo/app@sha256:abc',
  essential: true,
  environment: {},
  secrets: {},
  logGroupName: '/gnomon/dev/app',
  logStreamPrefix: 'app',
  readonlyRootFilesystem: true,
  ...overrides,
});

describe('renderContainerDefinitions', () => {
  it('refuses a variable given both as a secret and as a plain value', () => {
    expect(() =>
      renderContainerDefinitions(
        [
          spec({
            environment: { DATABASE_URL: 'postgres://x' },
            secrets: { DATABASE_URL: 'arn:secret' },
          }),
        ],
        'us-east-1',
      ),
    ).toThrow('app: DATABASE_URL set both as secret and as plain value');
  });
});
