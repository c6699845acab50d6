import { Module } from '@nestjs/common';
import { PasswordHasher } from '@gnomon/auth';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { LinkSignInService } from './link-sign-in.service';
import { MemberSignInService } from './member-sign-in.service';
import { OidcController } from './oidc.controller';
import { OidcService } from './oidc.service';
import { SessionController } from './session.controller';
import { SessionRepository } from './session.repository';
import { SessionService } from './session.service';
import { SignInService } from './sign-in.service';

/** Dashboard sign-in: sessions, one-time links and OpenID Connect (docs/sign-in.md). */
@Module({
  imports: [AuthModule, AuditModule],
  controllers: [SessionController, OidcController],
  providers: [
    { provide: PasswordHasher, useValue: new PasswordHasher() },
    SessionRepository,
    SessionService,
    SignInService,
    LinkSignInService,
    MemberSignInService,
    OidcService,
  ],
  exports: [MemberSignInService],
})
export class SessionsModule {}
