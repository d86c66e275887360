import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  register(@Body() body: RegisterDto): Promise<AuthResponse> {
    return this.auth.register(body);
  }

  @Public()
  @Post('login')
  @NoStore()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AuthResponse })
  login(@Body() body: LoginDto): Promise<AuthResponse> {
    return this.auth.login(body);
  }

  @Public()
  @Post('refresh')
  @NoStore()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AuthResponse })
  refresh(@Body() body: RefreshTokenDto): Promise<AuthResponse> {
    return this.auth.refresh(body);
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
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
  resetPassword(@Body() body: ResetPasswordDto): Promise<void> {
    return this.passwordResets.reset(body.token, body.password);
  }
}
