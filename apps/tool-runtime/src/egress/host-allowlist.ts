import { AllowedHost } from '@gnomon/contracts';
import { formatIp, parseHostLiteral } from './ip-literal';

/**
 * An entry without a port allows only the standard web ports: a tool granted `api.example.com`
 * should not be able to reach the SSH, database or admin ports of the same machine.
 */
const DEFAULT_PORTS: readonly number[] = [80, 443];

interface Entry {
  kind: 'exact' | 'wildcard' | 'ip';
  /** Lower-case host without a trailing dot; for `wildcard`, the suffix after `*.`; for `ip`, canonical. */
  host: string;
  ports: readonly number[];
}

function normalizeName(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '');
}

/** The canonical text of an IP literal host (brackets optional), or undefined for a name. */
function canonicalIp(host: string): string | undefined {
  const literal = parseHostLiteral(host);
  return literal && literal.zone === undefined ? formatIp(literal) : undefined;
}

function parseEntry(raw: string): Entry {
  const parsed = AllowedHost.safeParse(raw);
  if (!parsed.success) throw new Error(`allowNet entry ${JSON.stringify(raw)} is not a host`);
  const text = parsed.data;
  let host = text;
  let portText: string | undefined;
  const portStart = text.startsWith('[') ? text.indexOf(']') + 1 : text.lastIndexOf(':');
  if (portStart > 0 && text[portStart] === ':') {
    host = text.slice(0, portStart);
    portText = text.slice(portStart + 1);
  }
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (port < 1 || port > 65_535)) {
    throw new Error(`allowNet entry ${JSON.stringify(raw)} has an invalid port`);
  }
  const ports = port === undefined ? DEFAULT_PORTS : [port];
  if (host.startsWith('*.')) return { kind: 'wildcard', host: normalizeName(host.slice(2)), ports };
  const ip = canonicalIp(host);
  if (ip !== undefined) return { kind: 'ip', host: ip, ports };
  return { kind: 'exact', host: normalizeName(host), ports };
}

/**
 * The hosts one tool may reach (its `allowNet`). Matching is on the name the tool asked for;
 * the addresses it resolves to are judged separately by the AddressPolicy.
 */
export class HostAllowlist {
  private constructor(private readonly entries: readonly Entry[]) {}

  /** Throws when an entry is not a valid `AllowedHost`. */
  static from(allowNet: readonly string[]): HostAllowlist {
    return new HostAllowlist(allowNet.map(parseEntry));
  }

  get size(): number {
    return this.entries.length;
  }

  /** `hostname` as in `URL.hostname` (IPv6 may keep its brackets); `port` the effective port. */
  permits(hostname: string, port: number): boolean {
    const ip = canonicalIp(hostname);
    const name = normalizeName(hostname);
    return this.entries.some((entry) => {
      if (!entry.ports.includes(port)) return false;
      // An IP target only matches the same literal: no wildcard or name ever covers it.
      if (ip !== undefined) return entry.kind === 'ip' && entry.host === ip;
      if (entry.kind === 'exact') return entry.host === name;
      if (entry.kind === 'wildcard') return name.endsWith(`.${entry.host}`);
      return false;
    });
  }
}
