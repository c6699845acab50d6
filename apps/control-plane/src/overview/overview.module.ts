import { Module } from '@nestjs/common';
import { BudgetModule } from '../budget/budget.module';
import { ProvidersModule } from '../providers/providers.module';
import { OverviewController } from './overview.controller';
import { OverviewRepository } from './overview.repository';
import { OverviewService } from './overview.service';

@Module({
  imports: [BudgetModule, ProvidersModule],
  controllers: [OverviewController],
  providers: [OverviewRepository, OverviewService],
})
export class OverviewModule {}
