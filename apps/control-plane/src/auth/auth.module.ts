import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import {
  CredentialAuthenticator,
  DbSessionSource,
  SecretHasher,
  SessionAuthenticator,
} from '@gnomon/auth';
import { TenantDatabase } from '@gnomon/db';
import type { Logger } from '@gnomon/observability';
import type { ControlPlaneConfig } from '../config/control-plane.config';
import { CONFIG, LOGGER } from '../platform/tokens';
import { AccessGuard } from './access.guard';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { Clock } from './clock';
import { KeyUsageRecorder } from './key-usage.recorder';
import { MeController } from './me.controller';
import { RequestAuthenticator } from './request-authenticator';
import { TenantDirectory } from './tenant-directory';

@Module({
  controllers: [MeController],
  providers: [
    Clock,
    TenantDirectory,
    KeyUsageRecorder,
    AdminBootstrapService,
    RequestAuthenticator,
    {
      provide: SessionAuthenticator,
      inject: [SecretHasher, TenantDatabase, CredentialAuthenticator, CONFIG, LOGGER, Clock],
      useFactory: (
        hasher: SecretHasher,
        db: TenantDatabase,
        keys: CredentialAuthenticator,
        config: ControlPlaneConfig,
        logger: Logger,
        clock: Clock,
      ) =>
        // Ending a session rides on the API keys' invalidation channel (one Redis subscriber).
        new SessionAuthenticator(hasher, new DbSessionSource(db), keys, {
          idleMs: config.env.GNOMON_SESSION_IDLE_MINUTES * 60_000,
          now: () => clock.now(),
          onTouchError: (err: unknown) => logger.warn({ err }, 'could not record session activity'),
        }),
    },
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [Clock, SessionAuthenticator, RequestAuthenticator],
})
export class AuthModule {}
