import { Inject, Injectable } from '@nestjs/common';
import { CredentialAuthenticator } from '@gnomon/auth';
import { tenantScope, type TenantScope } from '@gnomon/db';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { GatewayConfig } from '../config/gateway.config';
import { GatewayError } from '../platform/gateway-error';
import { GATEWAY_CONFIG } from '../platform/tokens';

/** Who is calling the gateway and on whose account. */
export interface GatewayCaller {
  tenant: TenantScope;
  via: 'api_key' | 'service';
  apiKeyId: string | null;
  /** The principal, for per-user limits when the request names no `user`. */
  principalId: string;
  runId: string | null;
  stepId: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ATTRIBUTION = /^[A-Za-z0-9._:-]{1,128}$/;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Two ways in, one governance: a tenant API key with `llm:invoke`, or the platform's internal
 * service credential naming the tenant and the run/step it works for (the orchestrator).
 */
@Injectable()
export class GatewayAuth {
  private readonly serviceDigest: Buffer;

  constructor(
    private readonly authenticator: CredentialAuthenticator,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.serviceDigest = createHash('sha256').update(config.secrets.serviceToken).digest();
  }

  async authenticate(request: FastifyRequest): Promise<GatewayCaller> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header(request, 'authorization') ?? '');
    if (!match)
      throw new GatewayError('invalid_api_key', 'send an API key as "Authorization: Bearer <key>"');
    const secret = match[1];
    // Tenant keys are recognisable by their prefix: only other secrets can be the service token.
    if (!/^gn[mp]_/.test(secret) && this.isServiceToken(secret)) return this.serviceCaller(request);

    const result = await this.authenticator.authenticate(secret).catch((error: unknown) => {
      // The credential store (Redis or Postgres) is down: fail closed, and say so.
      throw new GatewayError(
        'service_unavailable',
        'credential store unavailable; retry shortly',
        { 'retry-after': '1' },
        null,
        error,
      );
    });
    if (!result.ok || result.principal.type !== 'API_KEY' || !result.principal.tenantId) {
      throw new GatewayError('invalid_api_key', 'invalid or inactive API key');
    }
    if (!result.principal.scopes.has('llm:invoke')) {
      throw new GatewayError('permission_denied', 'this API key lacks the "llm:invoke" scope');
    }
    return {
      tenant: tenantScope(result.principal.tenantId),
      via: 'api_key',
      apiKeyId: result.principal.id,
      principalId: result.principal.memberId ?? result.principal.id,
      runId: null,
      stepId: null,
    };
  }

  private isServiceToken(secret: string): boolean {
    const digest = createHash('sha256').update(secret).digest();
    return timingSafeEqual(digest, this.serviceDigest);
  }

  private serviceCaller(request: FastifyRequest): GatewayCaller {
    const tenantId = header(request, 'x-gnomon-tenant');
    if (!tenantId || !UUID.test(tenantId)) {
      throw new GatewayError(
        'invalid_request',
        'service calls must name the tenant in X-Gnomon-Tenant',
        {},
        'X-Gnomon-Tenant',
      );
    }
    const runId = header(request, 'x-gnomon-run-id') ?? null;
    const stepId = header(request, 'x-gnomon-step-id') ?? null;
    for (const [name, value] of [
      ['X-Gnomon-Run-Id', runId],
      ['X-Gnomon-Step-Id', stepId],
    ] as const) {
      if (value !== null && !ATTRIBUTION.test(value))
        throw new GatewayError('invalid_request', `malformed ${name}`, {}, name);
    }
    return {
      tenant: tenantScope(tenantId),
      via: 'service',
      apiKeyId: null,
      principalId: `service:${runId ?? 'none'}`,
      runId,
      stepId,
    };
  }
}
