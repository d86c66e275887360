import { ApiProperty } from '@nestjs/swagger';
import { Role, User } from '../entities/user.entity';

export class UserResponse {
  @ApiProperty({ format: 'uuid', maxLength: 36 })
  id: string;

  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  email: string;

  @ApiProperty({ example: 'Ada Lovelace', maxLength: 100 })
  name: string;

  @ApiProperty({ enum: Role })
  role: Role;

  @ApiProperty({ type: String, format: 'date-time', maxLength: 30 })
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
  @ApiProperty({ type: [UserResponse], maxItems: 100 })
  data: UserResponse[];

  @ApiProperty({ type: String, nullable: true, maxLength: 200 })
  nextCursor: string | null;
}
