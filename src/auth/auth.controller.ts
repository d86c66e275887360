import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponse } from '../shared/http/api-responses';
import { NoStore } from '../shared/http/no-store.decorator';
import { Public } from '../shared/http/public.decorator';
import type { Principal } from './access-tokens';
import { AuthService } from './auth.service';
import { CurrentUser } from './decorators/current-user.decorator';
import { AuthResponse, LoginDto, RefreshTokenDto, RegisterDto } from './dto/auth.dto';
import { ForgotPasswordDto, ResetPasswordDto } from './dto/password.dto';
import { PasswordResets } from './password-resets';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly passwordResets: PasswordResets,
  ) {}

  @Public()
  @Post('register')
  @NoStore()
  @ApiCreatedResponse({ type: AuthResponse })
  @ApiProblemResponse(409, 'An account with this e-mail exists (case-insensitive)')
  register(@Body() body: RegisterDto): Promise<AuthResponse> {
    return this.auth.register(body);
  }

  @Public()
  @Post('login')
  @NoStore()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AuthResponse })
  @ApiProblemResponse(401, 'Wrong e-mail or password (the same answer for both)')
  login(@Body() body: LoginDto): Promise<AuthResponse> {
    return this.auth.login(body);
  }

  @Public()
  @Post('refresh')
  @NoStore()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AuthResponse })
  @ApiProblemResponse(401, 'Unknown, expired or already rotated refresh token (a rotated one revokes its whole family)')
  refresh(@Body() body: RefreshTokenDto): Promise<AuthResponse> {
    return this.auth.refresh(body);
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  logout(@CurrentUser() caller: Principal, @Body() body: RefreshTokenDto): Promise<void> {
    return this.auth.logout(caller.id, body);
  }

  @Public()
  @Post('password/forgot')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ description: 'Sent whether or not the account exists' })
  async forgotPassword(@Body() body: ForgotPasswordDto): Promise<void> {
    await this.passwordResets.requestReset(body.email);
  }

  @Public()
  @Post('password/reset')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  @ApiProblemResponse(400, 'Invalid input, or an unknown, expired or used token')
  resetPassword(@Body() body: ResetPasswordDto): Promise<void> {
    return this.passwordResets.reset(body.token, body.password);
  }
}
