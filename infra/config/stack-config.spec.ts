import { readStackFile } from '../testing/stack-harness';
import { parseStackSettings } from './stack-config';

const settingsOf = (stack: 'dev' | 'staging' | 'prod') =>
  Object.fromEntries(
    Object.entries(readStackFile(stack))
      .filter(([key]) => key.startsWith('gnomon:'))
      .map(([key, value]) => [key.slice('gnomon:'.length), value]),
  );

describe('stack settings', () => {
  it.each(['dev', 'staging', 'prod'] as const)('accepts the committed %s stack file', (stack) => {
    expect(() => parseStackSettings(settingsOf(stack))).not.toThrow();
  });

  it('sizes dev small and prod highly available', () => {
    const dev = parseStackSettings(settingsOf('dev'));
    const prod = parseStackSettings(settingsOf('prod'));
    expect(dev.database.multiAz).toBe(false);
    expect(prod.database.multiAz).toBe(true);
    expect(prod.network.azCount).toBeGreaterThan(dev.network.azCount);
    expect(prod.cache.replicas).toBeGreaterThan(0);
    expect(dev.network.natGateways).toBe('single');
    expect(prod.network.natGateways).toBe('perAz');
    for (const size of Object.values(prod.services))
      expect(size.minTasks).toBeGreaterThanOrEqual(2);
    expect(prod.protectData && prod.database.deletionProtection).toBe(true);
  });

  it('names every bad key in one error', () => {
    const broken = settingsOf('dev');
    broken.database = { ...(broken.database as object), multiAz: 'yes' };
    broken.domain = { ...(broken.domain as object), certificateArn: 'not-an-arn' };
    broken.logRetentionDays = 10;
    broken.typo = true;
    const attempt = () => parseStackSettings(broken);
    expect(attempt).toThrow(/gnomon:database\.multiAz/);
    expect(attempt).toThrow(/gnomon:domain\.certificateArn/);
    expect(attempt).toThrow(/gnomon:logRetentionDays: must be one of/);
    expect(attempt).toThrow(/typo/);
  });

  it('refuses a service whose maximum is below its minimum, and a missing section', () => {
    const broken = settingsOf('dev');
    const services = broken.services as Record<string, Record<string, number>>;
    broken.services = { ...services, worker: { ...services.worker, minTasks: 3, maxTasks: 2 } };
    expect(() => parseStackSettings(broken)).toThrow(/maxTasks must be at least minTasks/);
    const withoutNetwork = settingsOf('dev');
    delete withoutNetwork.network;
    expect(() => parseStackSettings(withoutNetwork)).toThrow(/gnomon:network/);
  });
});
