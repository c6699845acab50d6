import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  CredentialAuthenticator,
  DbCredentialSource,
  InMemoryAuthFailureLimiter,
  LocalOnlyCredentialCache,
  RedisAuthFailureLimiter,
  RedisCredentialCache,
  SecretHasher,
  type AuthFailureLimiter,
} from '@gnomon/auth';
import { connectDatabase, TenantDatabase, type DatabaseConnection } from '@gnomon/db';
import { CursorCodec } from '@gnomon/http-api';
import { MetricsRegistry, type Logger } from '@gnomon/observability';
import { Redis } from 'ioredis';
import type { ControlPlaneConfig } from '../config/control-plane.config';
import { CONFIG, DATABASE, LOGGER, REDIS } from './tokens';

export const AUTH_FAILURE_LIMITER = Symbol('AuthFailureLimiter');

/**
 * Process-wide infrastructure: database, Redis, credential checking, metrics. Adapters are
 * chosen by configuration: without REDIS_URL the caches and limiters are in-process
 * (single-instance mode).
 */
@Global()
@Module({})
export class PlatformModule implements OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseConnection,
    @Inject(REDIS) private readonly redis: Redis | null,
    private readonly authenticator: CredentialAuthenticator,
  ) {}

  static forRoot(config: ControlPlaneConfig, logger: Logger): DynamicModule {
    return {
      module: PlatformModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: MetricsRegistry, useValue: new MetricsRegistry('control-plane') },
        {
          provide: DATABASE,
          useFactory: () =>
            connectDatabase({
              databaseUrl: config.env.DATABASE_URL,
              maxConnections: config.env.DATABASE_POOL_SIZE,
              applicationName: 'gnomon-control-plane',
            }),
        },
        {
          provide: TenantDatabase,
          inject: [DATABASE],
          useFactory: (db: DatabaseConnection) => new TenantDatabase(db),
        },
        {
          provide: REDIS,
          useFactory: () =>
            config.env.REDIS_URL
              ? new Redis(config.env.REDIS_URL, {
                  maxRetriesPerRequest: 2,
                  connectionName: 'gnomon-control-plane',
                })
              : null,
        },
        { provide: SecretHasher, useValue: new SecretHasher(config.secrets.apiKeyPepper) },
        {
          provide: CredentialAuthenticator,
          inject: [SecretHasher, TenantDatabase, REDIS],
          useFactory: async (hasher: SecretHasher, db: TenantDatabase, redis: Redis | null) => {
            const shared = redis ? new RedisCredentialCache(redis) : new LocalOnlyCredentialCache();
            const authenticator = new CredentialAuthenticator(
              hasher,
              new DbCredentialSource(db),
              shared,
            );
            await authenticator.start();
            return authenticator;
          },
        },
        {
          provide: AUTH_FAILURE_LIMITER,
          inject: [REDIS],
          useFactory: (redis: Redis | null): AuthFailureLimiter => {
            const limits = {
              maxFailures: config.env.GNOMON_AUTH_FAILURE_LIMIT,
              windowSeconds: config.env.GNOMON_AUTH_FAILURE_WINDOW_SECONDS,
            };
            return redis
              ? new RedisAuthFailureLimiter(redis, limits)
              : new InMemoryAuthFailureLimiter(limits);
          },
        },
        {
          provide: CursorCodec,
          useValue: new CursorCodec(
            config.secrets.cursorSecret,
            config.env.GNOMON_CURSOR_TTL_SECONDS,
          ),
        },
      ],
      exports: [
        CONFIG,
        LOGGER,
        MetricsRegistry,
        DATABASE,
        TenantDatabase,
        REDIS,
        SecretHasher,
        CredentialAuthenticator,
        AUTH_FAILURE_LIMITER,
        CursorCodec,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.authenticator.stop();
    if (this.redis) await this.redis.quit().catch(() => undefined);
    await this.database.close();
  }
}
