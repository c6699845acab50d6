import { AddressPolicy } from '../egress/address-policy';
import { EgressClient, type HostResolver } from '../egress/egress-client';
import { FakeUpstream } from './fake-upstream';
import { HostAllowlist } from '../egress/host-allowlist';

/**
 * The test world of the egress client's integration tests: a "public" upstream on 127.0.0.2
 * (allowed by an operator exception), an internal server on 127.0.0.1 that must never be
 * reached, and a resolver that maps test names to them and records every lookup.
 */
export class EgressFixture {
  /** Every name looked up, in order; cleared by `reset()`. */
  readonly resolved: string[] = [];
  /** Answers per name; a function answers differently on each lookup. */
  readonly names: Record<string, string[] | (() => string[])> = {
    'api.allowed.test': ['127.0.0.2'],
    'other.allowed.test': ['127.0.0.2'],
    'rebind.test': ['127.0.0.2', '127.0.0.1'],
    'loopback.test': ['127.0.0.1'],
  };
  readonly policy = new AddressPolicy({ allowCidrs: ['127.0.0.2/32'] });
  readonly resolve: HostResolver = (hostname) => {
    this.resolved.push(hostname);
    const entry = this.names[hostname];
    const addresses = typeof entry === 'function' ? entry() : entry;
    if (!addresses) return Promise.reject(new Error(`getaddrinfo ENOTFOUND ${hostname}`));
    return Promise.resolve(addresses.map((address) => ({ address, family: 4 })));
  };
  readonly client = new EgressClient({
    addressPolicy: this.policy,
    resolve: this.resolve,
    timeoutMs: 5_000,
  });
  /** `http://api.allowed.test:<upstream port>` */
  readonly api: string;
  /**
   * Every forbidden target the tests use is allowlisted, so that their refusals can only come
   * from the address rules.
   */
  readonly allowlist: HostAllowlist;

  private constructor(
    readonly upstream: FakeUpstream,
    readonly internal: FakeUpstream,
  ) {
    const up = upstream.port;
    const ip = internal.port;
    this.api = `http://api.allowed.test:${up}`;
    this.allowlist = HostAllowlist.from([
      `api.allowed.test:${up}`,
      `other.allowed.test:${up}`,
      `rebind.test:${up}`,
      `flip.test:${up}`,
      `unknown.allowed.test:${up}`,
      `loopback.test:${ip}`,
      `127.0.0.1:${ip}`,
      `[::1]:${ip}`,
      `[::ffff:7f00:1]:${ip}`,
      '169.254.169.254',
      '10.0.0.1',
      '[64:ff9b::a9fe:a9fe]',
      '[fd00:ec2::254]',
    ]);
  }

  static async start(): Promise<EgressFixture> {
    const upstream = await FakeUpstream.start('127.0.0.2');
    const internal = await FakeUpstream.start('127.0.0.1');
    return new EgressFixture(upstream, internal);
  }

  reset(): void {
    this.upstream.reset();
    this.internal.reset();
    this.resolved.length = 0;
  }

  async close(): Promise<void> {
    await this.upstream.close();
    await this.internal.close();
  }
}

/** The error a request was refused or failed with; fails the test if it succeeded. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('the request was not refused');
}
