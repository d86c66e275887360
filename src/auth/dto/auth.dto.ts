import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';
import { UserResponse } from '../../users/dto/user.response';

const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', format: 'email', maxLength: 254 })
  @Transform(trimmed)
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  @Length(8, 128)
  password: string;

  @ApiProperty({ minLength: 1, maxLength: 100, pattern: '\\S', example: 'Ada Lovelace', description: 'Trimmed' })
  @Transform(trimmed)
  @IsString()
  @Length(1, 100)
  name: string;
}

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com', minLength: 1, maxLength: 254 })
  @Transform(trimmed)
  @IsString()
  @Length(1, 254)
  email: string;

  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  password: string;
}

export class RefreshTokenDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  refreshToken: string;
}

export class AuthResponse {
  @ApiProperty({ type: UserResponse })
  user: UserResponse;

  @ApiProperty({ description: 'JWT for `Authorization: Bearer`', maxLength: 4096 })
  accessToken: string;

  @ApiProperty({ description: 'Opaque; exchange at /auth/refresh', maxLength: 128 })
  refreshToken: string;

  @ApiProperty({ description: 'Access token lifetime in seconds', type: 'integer', format: 'int32', minimum: 1, maximum: 86_400 })
  expiresIn: number;
}
