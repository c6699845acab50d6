import { Module } from '@nestjs/common';
import path from 'node:path';
import type { ControlPlaneConfig } from '../config/control-plane.config';
import { CONFIG } from '../platform/tokens';
import { DashboardAssets, defaultDashboardDir } from './dashboard-assets';
import { DashboardController } from './dashboard.controller';

/**
 * Serves the admin dashboard's build at /admin. GNOMON_DASHBOARD_DIR points at another build
 * directory (tests, unusual layouts); by default it is the repository's dist/admin-dashboard.
 */
@Module({
  controllers: [DashboardController],
  providers: [
    {
      provide: DashboardAssets,
      inject: [CONFIG],
      useFactory: (config: ControlPlaneConfig) => {
        const configured = config.env.GNOMON_DASHBOARD_DIR?.trim();
        return new DashboardAssets(configured ? path.resolve(configured) : defaultDashboardDir());
      },
    },
  ],
})
export class DashboardModule {}
