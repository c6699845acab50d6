import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** How the next id_token is spoiled, to test the relying party's checks. */
export type IdTokenFault = 'bad_signature' | 'wrong_audience' | 'wrong_issuer' | 'wrong_nonce';

interface PendingCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string;
  claims: Record<string, unknown>;
  fault: IdTokenFault | null;
}

/**
 * A local OpenID Connect issuer speaking the real wire format: discovery document, JWKS,
 * `/authorize` (no login page: it answers at once for the identity set with `willSignIn`) and
 * `/token` (authorization code with PKCE S256, client_secret_basic), signing RS256 id_tokens
 * with jose.
 */
export class OidcIssuerFake {
  /** Form bodies the token endpoint received (to check what the client sent). */
  readonly tokenRequests: URLSearchParams[] = [];
  private readonly codes = new Map<string, PendingCode>();
  private next: { claims: Record<string, unknown>; fault: IdTokenFault | null } | null = null;

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    private readonly client: { id: string; secret: string },
    private readonly key: CryptoKey,
    private readonly otherKey: CryptoKey,
    private readonly jwk: JWK,
  ) {}

  static async start(client: { id: string; secret: string }): Promise<OidcIssuerFake> {
    const [pair, other] = await Promise.all([
      generateKeyPair('RS256', { extractable: true }),
      generateKeyPair('RS256'),
    ]);
    const jwk = {
      ...(await exportJWK(pair.publicKey)),
      kid: 'fake-key-1',
      alg: 'RS256',
      use: 'sig',
    };
    let fake: OidcIssuerFake | null = null;
    const server = createServer((req, res) => {
      fake?.handle(req, res).catch(() => send(res, 500, { error: 'server_error' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new OidcIssuerFake(
      server,
      `http://127.0.0.1:${port}`,
      client,
      pair.privateKey,
      other.privateKey,
      jwk,
    );
    return fake;
  }

  /** The identity (id_token claims) the next /authorize signs in, and an optional fault. */
  willSignIn(claims: Record<string, unknown>, fault: IdTokenFault | null = null): void {
    this.next = { claims, fault };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return send(res, 200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
        jwks_uri: `${this.issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (req.method === 'GET' && url.pathname === '/jwks')
      return send(res, 200, { keys: [this.jwk] });
    if (req.method === 'GET' && url.pathname === '/authorize') return this.authorize(url, res);
    if (req.method === 'POST' && url.pathname === '/token') return this.token(req, res);
    send(res, 404, { error: 'not_found' });
  }

  private authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri') ?? '';
    if (
      q.get('response_type') !== 'code' ||
      q.get('client_id') !== this.client.id ||
      q.get('code_challenge_method') !== 'S256' ||
      !q.get('code_challenge') ||
      !q.get('nonce') ||
      !q.get('state') ||
      !redirectUri ||
      !this.next
    ) {
      return send(res, 400, { error: 'invalid_request' });
    }
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, {
      clientId: this.client.id,
      redirectUri,
      challenge: q.get('code_challenge') ?? '',
      nonce: q.get('nonce') ?? '',
      claims: this.next.claims,
      fault: this.next.fault,
    });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', q.get('state') ?? '');
    res.writeHead(302, { location: back.toString() }).end();
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    this.tokenRequests.push(form);
    const expectedAuth = `Basic ${Buffer.from(
      `${encodeURIComponent(this.client.id)}:${encodeURIComponent(this.client.secret)}`,
    ).toString('base64')}`;
    if (req.headers.authorization !== expectedAuth)
      return send(res, 401, { error: 'invalid_client' });
    const pending = this.codes.get(form.get('code') ?? '');
    this.codes.delete(form.get('code') ?? '');
    const verifier = form.get('code_verifier') ?? '';
    if (
      !pending ||
      form.get('grant_type') !== 'authorization_code' ||
      form.get('redirect_uri') !== pending.redirectUri ||
      createHash('sha256').update(verifier).digest('base64url') !== pending.challenge
    ) {
      return send(res, 400, { error: 'invalid_grant' });
    }
    const fault = pending.fault;
    const idToken = await new SignJWT({
      ...pending.claims,
      nonce: fault === 'wrong_nonce' ? 'another-nonce' : pending.nonce,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'fake-key-1' })
      .setIssuer(fault === 'wrong_issuer' ? 'https://impostor.example' : this.issuer)
      .setAudience(fault === 'wrong_audience' ? 'another-client' : pending.clientId)
      .setSubject(typeof pending.claims.sub === 'string' ? pending.claims.sub : 'subject-1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(fault === 'bad_signature' ? this.otherKey : this.key);
    send(res, 200, { access_token: 'fake-access', token_type: 'Bearer', id_token: idToken });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
