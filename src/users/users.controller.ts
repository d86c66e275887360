import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/access-tokens';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Roles } from '../auth/decorators/roles.decorator';
import { PageQuery } from '../shared/http/pagination';
import { UpdateProfileDto } from './dto/update-profile.dto';
import { UserPage, UserResponse } from './dto/user.response';
import { Role } from './entities/user.entity';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOkResponse({ type: UserResponse })
  me(@CurrentUser() caller: Principal): Promise<UserResponse> {
    return this.users.profile(caller);
  }

  @Patch('me')
  @ApiOkResponse({ type: UserResponse })
  updateMe(@CurrentUser() caller: Principal, @Body() body: UpdateProfileDto): Promise<UserResponse> {
    return this.users.rename(caller, body.name);
  }

  @Get()
  @Roles(Role.Admin)
  @ApiOkResponse({ type: UserPage })
  list(@Query() query: PageQuery): Promise<UserPage> {
    return this.users.list(query);
  }

  @Get(':id')
  @Roles(Role.Admin)
  @ApiOkResponse({ type: UserResponse })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<UserResponse> {
    return this.users.get(id);
  }
}
