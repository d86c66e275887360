import type { FastifyReply } from 'fastify';
import { escapeHtml } from '../shared/http/escape-html';

export const SIGN_IN_PATH = '/admin/sign-in';
export const SIGN_OUT_PATH = '/admin/sign-out';
export const DASHBOARD_PATH = '/admin/queues';

/**
 * These pages need nothing but their own inline style and a form posting back here; tighter than
 * the API-wide policy, which also has to fit Bull Board's scripts.
 */
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; background: #f4f5f7; color: #1d2330; margin: 0; }
  main { max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
  h1 { font-size: 1.25rem; margin: 0 0 1.5rem; }
  label { display: block; margin-bottom: 1rem; font-weight: 500; }
  input { display: block; width: 100%; box-sizing: border-box; margin-top: .25rem; padding: .5rem; font: inherit; border: 1px solid #b8bfcc; border-radius: 4px; }
  button { width: 100%; padding: .6rem; font: inherit; font-weight: 600; color: #fff; background: #2b59c3; border: 0; border-radius: 4px; cursor: pointer; }
  .message { padding: .75rem; margin-bottom: 1rem; border-radius: 4px; background: #fdecec; color: #8a1c1c; }
`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · Orderly</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

const messageBox = (message: string | undefined) => (message ? `<p class="message" role="alert">${escapeHtml(message)}</p>` : '');

export interface SignInForm {
  /** Where to go once signed in: a dashboard path (see `dashboardPathOr`). */
  next: string;
  email?: string;
  message?: string;
}

export function signInPage({ next, email = '', message }: SignInForm): string {
  return page(
    'Queue dashboard: sign in',
    `${messageBox(message)}
<form method="post" action="${SIGN_IN_PATH}">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label>E-mail<input type="email" name="email" value="${escapeHtml(email)}" autocomplete="username" required autofocus></label>
<label>Password<input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>`,
  );
}

export function signOutPage(): string {
  return page(
    'Queue dashboard: sign out',
    `<form method="post" action="${SIGN_OUT_PATH}">
<button type="submit">Sign out</button>
</form>
<p><a href="${DASHBOARD_PATH}">Back to the dashboard</a></p>`,
  );
}

export function unavailablePage(): string {
  return page(
    'Queue dashboard unavailable',
    `<p>The queue dashboard shows BullMQ's queues, and this instance runs without them: it has no
<code>REDIS_URL</code>, so its jobs run in-process (embedded mode). Set <code>REDIS_URL</code> and run
<code>node dist/worker.js</code> to get queues and this dashboard.</p>`,
  );
}

/**
 * For pages that post back here. Under the API-wide `no-referrer`, a browser sends `Origin: null`
 * with a form post or a same-origin `fetch`, and the Origin check (same-origin.ts) could not tell
 * the dashboard from another site; `same-origin` sends the real origin here and nothing elsewhere.
 */
export const REFERRER_POLICY = 'same-origin';

/** Sends one of these pages: never cached, framed or scripted. */
export function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', PAGE_POLICY)
    .header('referrer-policy', REFERRER_POLICY)
    .send(html);
}

/**
 * The page to return to after signing in. Only a path of the dashboard is taken, so the sign-in
 * form cannot be made to redirect anywhere else (an open redirect).
 */
export function dashboardPathOr(candidate: unknown): string {
  if (typeof candidate !== 'string' || candidate.length > 2048 || /[\\\s\p{Cc}]/u.test(candidate)) return DASHBOARD_PATH;
  const ofDashboard =
    candidate === DASHBOARD_PATH || candidate.startsWith(`${DASHBOARD_PATH}/`) || candidate.startsWith(`${DASHBOARD_PATH}?`);
  return ofDashboard ? candidate : DASHBOARD_PATH;
}
