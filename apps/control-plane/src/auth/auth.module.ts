import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessGuard } from './access.guard';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { KeyUsageRecorder } from './key-usage.recorder';
import { MeController } from './me.controller';
import { TenantDirectory } from './tenant-directory';

@Module({
  controllers: [MeController],
  providers: [
    TenantDirectory,
    KeyUsageRecorder,
    AdminBootstrapService,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
})
export class AuthModule {}
