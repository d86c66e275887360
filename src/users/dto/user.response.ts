import { ApiProperty } from '@nestjs/swagger';
import { Role, User } from '../entities/user.entity';

export class UserResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ada@example.com' })
  email: string;

  @ApiProperty({ example: 'Ada Lovelace' })
  name: string;

  @ApiProperty({ enum: Role })
  role: Role;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;

  static of(user: User): UserResponse {
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      role: user.role,
      createdAt: user.createdAt.toISOString(),
    };
  }
}

export class UserPage {
  @ApiProperty({ type: [UserResponse] })
  data: UserResponse[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}
