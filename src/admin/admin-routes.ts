import fastifyCookie, { CookieSerializeOptions } from '@fastify/cookie';
import { ForbiddenException, HttpException, HttpStatus, Inject, Injectable, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccessTokens } from '../auth/access-tokens';
import { LoginDto } from '../auth/dto/auth.dto';
import { ENVIRONMENT } from '../shared/config/config.module';
import type { Environment } from '../shared/config/environment';
import { TooManyRequestsException } from '../shared/http/too-many-requests.exception';
import { createValidationPipe } from '../shared/http/validation';
import { Role } from '../users/entities/user.entity';
import {
  DASHBOARD_PATH,
  dashboardPathOr,
  REFERRER_POLICY,
  sendPage,
  SIGN_IN_PATH,
  SIGN_OUT_PATH,
  signInPage,
  signOutPage,
} from './admin-pages';
import { AdminSessions, SESSION_TTL_SECONDS } from './admin-sessions';
import { QueueDashboard } from './queue-dashboard';
import { comesFromOwnSite } from './same-origin';

const SESSION_COOKIE = 'orderly_admin_session';

const FORM = 'application/x-www-form-urlencoded';
const FORM_LIMIT_BYTES = 8 * 1024;
const FOREIGN_ORIGIN = "Refused: the Origin header does not name this dashboard's own site.";
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What the sign-in page says for each refusal the shared login check can make. */
const SIGN_IN_REFUSALS = new Map<number, string>([
  [HttpStatus.BAD_REQUEST, 'Enter an e-mail and a password.'],
  [HttpStatus.UNAUTHORIZED, 'The e-mail or password is wrong.'],
  [HttpStatus.FORBIDDEN, 'This account is not an admin: the queue dashboard is for admins only.'],
]);

/** A browser navigating here, as opposed to a script or the dashboard's own API calls. */
const wantsPage = (request: FastifyRequest) =>
  (request.method === 'GET' || request.method === 'HEAD') && request.headers.accept?.includes('text/html') === true;

/**
 * `/admin`: the sign-in and sign-out pages, and the gate in front of the queue dashboard. Fastify
 * routes outside Nest's router (they are not `/api/v1` and answer HTML), so Nest's guards do not
 * run here; errors still reach the one exception filter. Who gets through the gate:
 * - a request with an `Authorization` header: only an admin bearer token, for scripts;
 * - a browser: a session cookie of an admin, and for state-changing calls an `Origin` of this site.
 */
@Injectable()
export class AdminRoutes implements OnModuleInit {
  private readonly validation = createValidationPipe();
  private readonly cookie: CookieSerializeOptions;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tokens: AccessTokens,
    private readonly sessions: AdminSessions,
    private readonly dashboard: QueueDashboard,
    @Inject(ENVIRONMENT) env: Environment,
  ) {
    this.cookie = { httpOnly: true, sameSite: 'strict', secure: env.nodeEnv !== 'development', path: '/admin' };
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Not awaited: awaiting would boot Fastify's plugin tree early, before Nest installs its error handler.
    void fastify.register(async (admin) => {
      await admin.register(fastifyCookie);
      // Sign-in and sign-out take HTML forms only, and small ones: an e-mail, a password, a return path.
      admin.removeAllContentTypeParsers();
      admin.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES }, (_request, body, done) =>
        done(null, new URLSearchParams(body as string)),
      );
      admin.get(SIGN_IN_PATH, (request, reply) =>
        sendPage(reply, 200, signInPage({ next: dashboardPathOr((request.query as { next?: unknown }).next) })),
      );
      admin.post(SIGN_IN_PATH, (request, reply) => this.signIn(request, reply));
      admin.get(SIGN_OUT_PATH, (_request, reply) => sendPage(reply, 200, signOutPage()));
      admin.post(SIGN_OUT_PATH, (request, reply) => this.signOut(request, reply));
      await admin.register(async (board) => {
        // Bull Board reads its own request bodies, after the hand-over.
        board.removeAllContentTypeParsers();
        board.addContentTypeParser('*', (_request, _payload, done) => done(null));
        board.all(DASHBOARD_PATH, (request, reply) => this.openDashboard(request, reply));
        board.all(`${DASHBOARD_PATH}/*`, (request, reply) => this.openDashboard(request, reply));
      });
    });
  }

  private async signIn(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (!comesFromOwnSite(request)) throw new ForbiddenException(FOREIGN_ORIGIN);
    const form = request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
    // A field given twice is no answer: it is left out, and validation asks for it.
    const field = (name: string) => (form.getAll(name).length === 1 ? form.get(name) : undefined);
    const next = dashboardPathOr(field('next'));
    let email: string | undefined;
    try {
      const credentials = (await this.validation.transform(
        { email: field('email'), password: field('password') },
        { type: 'body', metatype: LoginDto },
      )) as LoginDto;
      email = credentials.email;
      const token = await this.sessions.start(credentials);
      // A fresh token on every sign-in; the session this browser held before ends with it.
      await this.sessions.end(request.cookies[SESSION_COOKIE]);
      return reply.setCookie(SESSION_COOKIE, token, { ...this.cookie, maxAge: SESSION_TTL_SECONDS }).redirect(next, 303);
    } catch (error) {
      if (error instanceof TooManyRequestsException) {
        const seconds = Math.max(1, Math.ceil(error.retryAfterSeconds));
        const message = `Too many failed sign-ins for this e-mail: try again in ${Math.ceil(seconds / 60)} minute(s).`;
        return sendPage(reply.header('retry-after', String(seconds)), 429, signInPage({ next, email, message }));
      }
      const status = error instanceof HttpException ? error.getStatus() : 0;
      const message = SIGN_IN_REFUSALS.get(status);
      if (message === undefined) throw error;
      return sendPage(reply, status, signInPage({ next, email, message }));
    }
  }

  private async signOut(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (!comesFromOwnSite(request)) throw new ForbiddenException(FOREIGN_ORIGIN);
    await this.sessions.end(request.cookies[SESSION_COOKIE]);
    return reply.clearCookie(SESSION_COOKIE, this.cookie).redirect(SIGN_IN_PATH, 303);
  }

  private async openDashboard(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const principal = this.tokens.principalOfHeader(authorization);
      if (!principal) throw new UnauthorizedException('An admin bearer token or a dashboard session is required.');
      if (principal.role !== Role.Admin) throw new ForbiddenException('Admins only.');
    } else {
      if (!SAFE_METHODS.has(request.method) && !comesFromOwnSite(request)) throw new ForbiddenException(FOREIGN_ORIGIN);
      if (!(await this.sessions.adminOf(request.cookies[SESSION_COOKIE]))) {
        if (wantsPage(request)) return reply.redirect(`${SIGN_IN_PATH}?next=${encodeURIComponent(request.url)}`, 303);
        throw new UnauthorizedException('An admin bearer token or a dashboard session is required.');
      }
    }
    // Job data and queue state are per-deployment operational data: never kept by a shared cache.
    void reply.header('cache-control', 'no-store').header('referrer-policy', REFERRER_POLICY);
    return this.dashboard.serve(request, reply);
  }
}
