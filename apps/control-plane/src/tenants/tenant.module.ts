import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { TenantController } from './tenant.controller';
import { TenantRepository } from './tenant.repository';
import { TenantService } from './tenant.service';

@Module({
  imports: [AuditModule],
  controllers: [TenantController],
  providers: [TenantRepository, TenantService],
})
export class TenantModule {}
