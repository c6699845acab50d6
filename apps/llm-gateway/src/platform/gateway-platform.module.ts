import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CredentialAuthenticator, DbCredentialSource, SecretHasher } from '@gnomon/auth';
import { connectDatabase, TenantDatabase, type DatabaseConnection } from '@gnomon/db';
import { ProviderBreakers } from '@gnomon/governance';
import { ModelRouter } from '@gnomon/llm';
import { MetricsRegistry, type Logger } from '@gnomon/observability';
import type { GatewayConfig } from '../config/gateway.config';
import { buildProviderRegistry } from './provider-registry';
import { createRedisState } from './redis-state';
import { createSingleInstanceState } from './single-instance-state';
import {
  IDEMPOTENCY_RECORDS,
  STATE_BACKEND,
  USAGE_EVENT_LOG,
  USAGE_GOVERNOR,
  type StateBackend,
} from './state-backend';
import { TenantPolicyCache } from './tenant-policies';
import { DATABASE, GATEWAY_CONFIG, LOGGER, PROVIDERS, REDIS } from './tokens';

/**
 * The gateway's process-wide infrastructure: Postgres (off the hot path), the hot-path state
 * (Redis when REDIS_URL is set, else this process: single-instance mode), providers. The state
 * backend is chosen here, once, by configuration; everything else depends on its ports
 * (USAGE_GOVERNOR, USAGE_EVENT_LOG, IDEMPOTENCY_RECORDS, the credential cache).
 */
@Global()
@Module({})
export class GatewayPlatformModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseConnection,
    @Inject(STATE_BACKEND) private readonly state: StateBackend,
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
          provide: STATE_BACKEND,
          inject: [TenantDatabase],
          useFactory: (db: TenantDatabase): StateBackend =>
            config.env.REDIS_URL
              ? createRedisState(config, db, logger)
              : createSingleInstanceState(db, logger),
        },
        // The Redis connection (null in single-instance mode), for what has no port yet.
        { provide: REDIS, inject: [STATE_BACKEND], useFactory: (s: StateBackend) => s.redis },
        {
          provide: USAGE_GOVERNOR,
          inject: [STATE_BACKEND],
          useFactory: (s: StateBackend) => s.governor,
        },
        {
          provide: USAGE_EVENT_LOG,
          inject: [STATE_BACKEND],
          useFactory: (s: StateBackend) => s.usageEvents,
        },
        {
          provide: IDEMPOTENCY_RECORDS,
          inject: [STATE_BACKEND],
          useFactory: (s: StateBackend) => s.idempotency,
        },
        {
          provide: CredentialAuthenticator,
          inject: [TenantDatabase, STATE_BACKEND],
          useFactory: async (db: TenantDatabase, state: StateBackend) => {
            const authenticator = new CredentialAuthenticator(
              new SecretHasher(config.secrets.apiKeyPepper),
              new DbCredentialSource(db),
              state.credentialCache,
            );
            await authenticator.start();
            return authenticator;
          },
        },
        {
          provide: TenantPolicyCache,
          inject: [TenantDatabase],
          useFactory: (db: TenantDatabase) => {
            const cache = new TenantPolicyCache(db, config.secrets.encryptionKey);
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
        STATE_BACKEND,
        REDIS,
        USAGE_GOVERNOR,
        USAGE_EVENT_LOG,
        IDEMPOTENCY_RECORDS,
        CredentialAuthenticator,
        TenantPolicyCache,
      ],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.state.start();
  }

  /** After HTTP has drained: the last usage events are written before Postgres closes. */
  async onApplicationShutdown(): Promise<void> {
    await this.authenticator.stop();
    await this.state.stop();
    await this.database.close();
  }
}
