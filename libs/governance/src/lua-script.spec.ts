import { GovernanceUnavailableError } from './governance.errors';
import { LuaScript, type GovernanceRedis } from './lua-script';

describe('LuaScript', () => {
  const script = new LuaScript('probe', 'return 1');

  const fakeRedis = (evalsha: () => Promise<unknown>) => {
    const calls: string[] = [];
    const redis: GovernanceRedis = {
      evalsha: (...args) => {
        calls.push(`evalsha ${args.join(' ')}`);
        return evalsha();
      },
      eval: (...args) => {
        calls.push(`eval ${args.join(' ')}`);
        return Promise.resolve('loaded');
      },
    };
    return { redis, calls };
  };

  it('runs by SHA and loads the script only on NOSCRIPT', async () => {
    expect(script.sha).toBe('e0e1f9fabfc9d4800c877a703b823ac0578ff8db');
    const cached = fakeRedis(() => Promise.resolve('cached'));
    expect(await script.run(cached.redis, ['k'], [7])).toBe('cached');
    expect(cached.calls).toEqual([`evalsha ${script.sha} 1 k 7`]);

    const missing = fakeRedis(() => Promise.reject(new Error('NOSCRIPT No matching script')));
    expect(await script.run(missing.redis, ['k'], [7])).toBe('loaded');
    expect(missing.calls).toEqual([`evalsha ${script.sha} 1 k 7`, 'eval return 1 1 k 7']);
  });

  it('turns any other failure into GovernanceUnavailableError', async () => {
    const down = fakeRedis(() => Promise.reject(new Error('Connection is closed.')));
    const error = await script.run(down.redis, [], []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GovernanceUnavailableError);
    expect(error).toMatchObject({ message: expect.stringContaining('Connection is closed') });
    expect(down.calls).toHaveLength(1);
  });
});
