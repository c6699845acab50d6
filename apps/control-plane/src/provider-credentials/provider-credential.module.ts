import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ProviderCredentialController } from './provider-credential.controller';
import { ProviderCredentialRepository } from './provider-credential.repository';
import { ProviderCredentialService } from './provider-credential.service';

@Module({
  imports: [AuditModule],
  controllers: [ProviderCredentialController],
  providers: [ProviderCredentialRepository, ProviderCredentialService],
})
export class ProviderCredentialModule {}
