import { Body, Controller, Get, Patch, Query, Req } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/access-tokens';
import { CurrentUser, SignedInRequest } from '../auth/decorators/current-user.decorator';
import { Roles } from '../auth/decorators/roles.decorator';
import { ApiProblemResponse } from '../shared/http/api-responses';
import { IdParam } from '../shared/http/id-param.decorator';
import { JsonBody } from '../shared/http/json-body';
import { PageQuery } from '../shared/http/pagination';
import { UpdateProfileDto } from './dto/update-profile.dto';
import { UserPage, UserResponse } from './dto/user.response';
import { Role } from './entities/user.entity';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOkResponse({ type: UserResponse })
  @ApiProblemResponse(404, 'The account no longer exists')
  // A hot read: it takes the request as it is (see SignedInRequest).
  me(@Req() request: SignedInRequest): Promise<JsonBody<UserResponse>> {
    return this.users.profile(request.user);
  }

  @Patch('me')
  @ApiOkResponse({ type: UserResponse })
  @ApiProblemResponse(404, 'The account no longer exists')
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
  get(@IdParam() id: string): Promise<UserResponse> {
    return this.users.get(id);
  }
}
