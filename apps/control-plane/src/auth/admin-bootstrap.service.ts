import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { CredentialAuthenticator, generateSecret } from '@gnomon/auth';
import { TenantDatabase } from '@gnomon/db';
import type { Logger } from '@gnomon/observability';
import type { ControlPlaneConfig } from '../config/control-plane.config';
import { CONFIG, LOGGER } from '../platform/tokens';

const BOOTSTRAP_KEY = 'bootstrap';

/**
 * Makes sure the platform admin can sign in: GNOMON_ADMIN_KEY, when set, is that key
 * (replacing an earlier one); otherwise a key is generated once, on first start, and printed
 * once to the terminal — never to the log.
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly db: TenantDatabase,
    private readonly authenticator: CredentialAuthenticator,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const configured = this.config.env.GNOMON_ADMIN_KEY;
    if (configured) {
      await this.useConfiguredKey(configured);
      return;
    }
    const secret = generateSecret('platform');
    const created = await this.db.anonymous(
      (tx) =>
        tx.$executeRaw`insert into platform_keys (name, secret_hash, last_four)
        values (${BOOTSTRAP_KEY}, ${this.authenticator.hash(secret)}, ${secret.slice(-4)})
        on conflict (name) do nothing`,
    );
    if (created === 0) return;
    this.logger.info(
      { event: 'admin_key_generated' },
      'platform admin key generated (printed once on stdout)',
    );
    process.stdout.write(
      [
        '',
        '  Gnomon platform admin key (shown once; store it now, or set GNOMON_ADMIN_KEY):',
        '',
        `    ${secret}`,
        '',
        '',
      ].join('\n'),
    );
  }

  private async useConfiguredKey(secret: string): Promise<void> {
    const hash = this.authenticator.hash(secret);
    const previous = await this.db.anonymous(async (tx) => {
      const existing = await tx.platformKey.findUnique({ where: { name: BOOTSTRAP_KEY } });
      if (existing?.secretHash === hash && !existing.revokedAt) return null;
      await tx.platformKey.upsert({
        where: { name: BOOTSTRAP_KEY },
        create: { name: BOOTSTRAP_KEY, secretHash: hash, lastFour: secret.slice(-4) },
        update: { secretHash: hash, lastFour: secret.slice(-4), revokedAt: null },
      });
      return existing?.secretHash ?? null;
    });
    if (previous) {
      // Sessions opened with the replaced key end with it.
      const sessions = await this.db.asPlatform((p) =>
        p.db.session.updateManyAndReturn({
          where: { tenantId: null, platformKey: { name: BOOTSTRAP_KEY }, revokedAt: null },
          data: { revokedAt: new Date() },
          select: { secretHash: true },
        }),
      );
      await this.authenticator.invalidate([previous, ...sessions.map((s) => s.secretHash)]);
      this.logger.info(
        { event: 'admin_key_replaced' },
        'platform admin key replaced by GNOMON_ADMIN_KEY',
      );
    }
  }
}
