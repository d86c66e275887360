import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';

export class ForgotPasswordDto {
  @ApiProperty({ example: 'ada@example.com', minLength: 1, maxLength: 254 })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 254)
  email: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The token from the e-mail', minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  token: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  @Length(8, 128)
  password: string;
}
