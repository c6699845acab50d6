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
  RedisCredentialCache,
  SecretHasher,
} from '@gnomon/auth';
import { connectDatabase, TenantDatabase, type DatabaseConnection } from '@gnomon/db';
import { Governor, ProviderBreakers } from '@gnomon/governance';
import { ModelRouter } from '@gnomon/llm';
import { MetricsRegistry, type Logger } from '@gnomon/observability';
import { Redis } from 'ioredis';
import type { GatewayConfig } from '../config/gateway.config';
import { EventSpendSource } from '../usage/event-spend-source';
import { usageStreamKey } from '../usage/usage-stream.consumer';
import { buildProviderRegistry } from './provider-registry';
import { TenantPolicyCache } from './tenant-policies';
import { DATABASE, GATEWAY_CONFIG, LOGGER, PROVIDERS, REDIS } from './tokens';

/** The gateway's process-wide infrastructure: Postgres (off the hot path), Redis, providers. */
@Global()
@Module({})
export class GatewayPlatformModule implements OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseConnection,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly authenticator: CredentialAuthenticator,
  ) {}

  static forRoot(config: GatewayConfig, logger: Logger): DynamicModule {
    const registry = buildProviderRegistry(config.env);
    const metrics = new MetricsRegistry('llm-gateway');
    const breakers = new ProviderBreakers({
      errorThresholdPercentage: config.env.GNOMON_BREAKER_ERROR_PERCENT,
      volumeThreshold: config.env.GNOMON_BREAKER_VOLUME,
      resetTimeout: config.env.GNOMON_BREAKER_RESET_MS,
    });
    return {
      module: GatewayPlatformModule,
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: MetricsRegistry, useValue: metrics },
        { provide: PROVIDERS, useValue: registry.adapters },
        {
          provide: ModelRouter,
          useValue: new ModelRouter(registry.catalog, (provider) =>
            registry.adapters.has(provider),
          ),
        },
        { provide: ProviderBreakers, useValue: breakers },
        {
          provide: DATABASE,
          useFactory: () =>
            connectDatabase({
              databaseUrl: config.env.DATABASE_URL,
              maxConnections: config.env.DATABASE_POOL_SIZE,
              applicationName: 'gnomon-llm-gateway',
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
            // A hung or absent Redis fails calls within 2 s (fail closed), never queues them forever.
            new Redis(config.env.REDIS_URL, {
              maxRetriesPerRequest: 1,
              commandTimeout: 2_000,
              connectionName: 'gnomon-llm-gateway',
            }),
        },
        {
          provide: CredentialAuthenticator,
          inject: [TenantDatabase, REDIS],
          useFactory: async (db: TenantDatabase, redis: Redis) => {
            const authenticator = new CredentialAuthenticator(
              new SecretHasher(config.secrets.apiKeyPepper),
              new DbCredentialSource(db),
              new RedisCredentialCache(redis),
            );
            await authenticator.start();
            return authenticator;
          },
        },
        {
          provide: Governor,
          inject: [REDIS, TenantDatabase],
          useFactory: (redis: Redis, db: TenantDatabase) =>
            new Governor(redis, new EventSpendSource(db), {
              keyPrefix: config.env.GNOMON_REDIS_PREFIX,
              eventStream: usageStreamKey(config.env.GNOMON_REDIS_PREFIX),
            }),
        },
        {
          provide: TenantPolicyCache,
          inject: [TenantDatabase],
          useFactory: (db: TenantDatabase) => {
            const cache = new TenantPolicyCache(db);
            cache.configure(config.env.GNOMON_POLICY_TTL_MS);
            return cache;
          },
        },
      ],
      exports: [
        GATEWAY_CONFIG,
        LOGGER,
        MetricsRegistry,
        PROVIDERS,
        ModelRouter,
        ProviderBreakers,
        DATABASE,
        TenantDatabase,
        REDIS,
        CredentialAuthenticator,
        Governor,
        TenantPolicyCache,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.authenticator.stop();
    await this.redis.quit().catch(() => undefined);
    await this.database.close();
  }
}
