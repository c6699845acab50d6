import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ChatCompletionRequest } from '@gnomon/contracts';
import { issuePath } from '@gnomon/http-api';
import type { Logger } from '@gnomon/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayAuth } from '../auth/gateway-auth';
import { GatewayError } from '../platform/gateway-error';
import { CompletionService } from './completion.service';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,255}$/;

@Controller('v1')
export class CompletionsController {
  constructor(
    private readonly auth: GatewayAuth,
    private readonly completions: CompletionService,
  ) {}

  @Post('chat/completions')
  @HttpCode(200)
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const caller = await this.auth.authenticate(request);
    (request.log as Logger).setBindings({ tenantId: caller.tenant.tenantId });
    const parsed = ChatCompletionRequest.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issuePath(issue.path);
      throw new GatewayError(
        'invalid_request',
        `${param || 'body'}: ${issue.message}`,
        {},
        param || null,
      );
    }
    const key = request.headers['idempotency-key'];
    const idempotencyKey = Array.isArray(key) ? key[0] : key;
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new GatewayError(
        'invalid_request',
        'Idempotency-Key must be 1-255 characters of A-Z a-z 0-9 . _ : -',
        {},
        'Idempotency-Key',
      );
    }
    await this.completions.handle(
      caller,
      parsed.data,
      { requestId: String(request.id), idempotencyKey: idempotencyKey ?? null },
      reply,
    );
  }
}
