import { Module } from '@nestjs/common';
import { BreakerStates } from './breaker-states';
import { ProviderHealthRepository } from './provider-health.repository';
import { ProviderHealthService } from './provider-health.service';
import { ProvidersController } from './providers.controller';

@Module({
  controllers: [ProvidersController],
  providers: [BreakerStates, ProviderHealthRepository, ProviderHealthService],
  exports: [BreakerStates],
})
export class ProvidersModule {}
