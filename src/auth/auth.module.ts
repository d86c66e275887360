import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module';
import { AccessTokens } from './access-tokens';
import { AdminSeeder } from './admin-seeder';
import { AuthController } from './auth.controller';
import { AuthStoragePurge } from './auth-storage-purge';
import { AuthService } from './auth.service';
import { PasswordResetToken } from './entities/password-reset-token.entity';
import { RefreshToken } from './entities/refresh-token.entity';
import { AuthenticationGuard } from './guards/authentication.guard';
import { RolesGuard } from './guards/roles.guard';
import { PasswordHasher } from './password-hasher';
import { PasswordResets } from './password-resets';
import { RefreshTokens } from './refresh-tokens';

@Module({
  imports: [TypeOrmModule.forFeature([RefreshToken, PasswordResetToken]), UsersModule],
  controllers: [AuthController],
  providers: [
    AccessTokens,
    PasswordHasher,
    RefreshTokens,
    AuthService,
    PasswordResets,
    AdminSeeder,
    AuthStoragePurge,
    // Order matters: authentication first, so a missing token is 401 before roles say 403.
    { provide: APP_GUARD, useClass: AuthenticationGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
  exports: [AccessTokens, AuthService, PasswordHasher, RefreshTokens],
})
export class AuthModule {}
