import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorDto } from '../http/error.dto.js';
import { ParseWith } from '../http/parse-with.pipe.js';
import { TokenRequestDto, TokenResponseDto, parseTokenRequest, type TokenRequest } from './auth.dto.js';
import { AuthService } from './auth.service.js';
import { Public } from './roles.decorator.js';
import type { IssuedToken } from './token.service.js';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(@Inject(AuthService) private readonly auth: AuthService) {}

  @Post('token')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a username and password for a bearer access token' })
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'Malformed body' })
  @ApiUnauthorizedResponse({ type: ErrorDto, description: 'Unknown user or wrong password' })
  issueToken(@Body(new ParseWith(parseTokenRequest)) credentials: TokenRequest): Promise<IssuedToken> {
    return this.auth.issueToken(credentials);
  }
}
