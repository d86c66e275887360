import { escapeHtml } from '../shared/http/escape-html';
import type { JobPayloads } from '../shared/queue/job-registry';

export interface RenderedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export type MailJobName = 'welcome-mail' | 'password-reset-mail' | 'order-confirmation-mail';

const formatMoney = (cents: number, currency: string) => new Intl.NumberFormat('en', { style: 'currency', currency }).format(cents / 100);

function page(greeting: string, paragraphs: string[]): string {
  const body = paragraphs.map((paragraph) => `<p>${paragraph}</p>`).join('\n    ');
  return `<!doctype html>
<html>
  <body style="font-family: sans-serif; line-height: 1.5">
    <p>${greeting}</p>
    ${body}
    <p>— Orderly</p>
  </body>
</html>`;
}

/** The three e-mails of the contract, in plain text and HTML; every user-supplied value is escaped in HTML. */
export function renderMail<Name extends MailJobName>(name: Name, payload: JobPayloads[Name]): RenderedMail {
  switch (name) {
    case 'welcome-mail': {
      const { to, name: person } = payload as JobPayloads['welcome-mail'];
      return {
        to,
        subject: 'Welcome to Orderly',
        text: `Hello ${person},\n\nYour Orderly account is ready. Sign in with ${to}.\n\n— Orderly`,
        html: page(`Hello ${escapeHtml(person)},`, [`Your Orderly account is ready. Sign in with ${escapeHtml(to)}.`]),
      };
    }
    case 'password-reset-mail': {
      const { to, name: person, token } = payload as JobPayloads['password-reset-mail'];
      return {
        to,
        subject: 'Reset your password',
        text: `Hello ${person},\n\nUse this token within one hour to choose a new password:\n\n${token}\n\nIf you did not ask for this, ignore this e-mail.\n\n— Orderly`,
        html: page(`Hello ${escapeHtml(person)},`, [
          'Use this token within one hour to choose a new password:',
          `<code>${escapeHtml(token)}</code>`,
          'If you did not ask for this, ignore this e-mail.',
        ]),
      };
    }
    case 'order-confirmation-mail': {
      const { to, name: person, orderId, totalCents, currency } = payload as JobPayloads['order-confirmation-mail'];
      const total = formatMoney(totalCents, currency);
      return {
        to,
        subject: `Order confirmed: ${orderId}`,
        text: `Hello ${person},\n\nWe received your payment of ${total} for order ${orderId}.\n\n— Orderly`,
        html: page(`Hello ${escapeHtml(person)},`, [`We received your payment of ${escapeHtml(total)} for order ${escapeHtml(orderId)}.`]),
      };
    }
    default:
      throw new Error(`No template for ${String(name)}`);
  }
}
