import { Logger } from '@nestjs/common';
import { Attributes, context, SpanKind } from '@opentelemetry/api';
import { UnrecoverableError } from 'bullmq';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { Transporter } from 'nodemailer';
import { inSpan } from '../shared/tracing/trace-context';
import type { RenderedMail } from './templates';

export interface OutgoingMail extends RenderedMail {
  from: string;
  /** Derived from the outbox id, so a receiving server can drop a duplicate delivery. */
  messageId: string;
}

/** Where mail goes: an SMTP server (SMTP_URL) or `.eml` files for development. */
export abstract class MailTransport {
  abstract send(mail: OutgoingMail): Promise<void>;
  abstract close(): void;
}

/** Pooled SMTP: a few long-lived connections carry every message instead of a handshake each. */
export class SmtpMailTransport extends MailTransport {
  private readonly transporter: Transporter;
  /** Host and port only: the URL may carry the SMTP credentials, which no span may hold. */
  private readonly spanAttributes: Attributes;

  constructor(url: string, connections: number) {
    super();
    this.transporter = nodemailer.createTransport({ url, pool: true, maxConnections: connections, maxMessages: Infinity });
    const server = new URL(url);
    this.spanAttributes = {
      'server.address': server.hostname,
      'server.port': Number(server.port) || (server.protocol === 'smtps:' ? 465 : 587),
      'network.protocol.name': 'smtp',
    };
  }

  // nodemailer has no OpenTelemetry instrumentation: this span is the send, child of the job's span.
  send(mail: OutgoingMail): Promise<void> {
    const attributes = { ...this.spanAttributes, 'orderly.mail.message_id': mail.messageId };
    return inSpan('smtp send', { kind: SpanKind.CLIENT, attributes }, context.active(), async (span) => {
      try {
        await this.transporter.sendMail(mail);
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        if (code !== undefined) span.setAttribute('orderly.smtp.response_code', code);
        // 5xx is the server's final answer (unknown mailbox, policy): retrying cannot change it.
        if (code !== undefined && code >= 500) throw new UnrecoverableError(`SMTP ${code}: ${(error as Error).message}`);
        throw error;
      }
    });
  }

  close(): void {
    this.transporter.close();
  }
}

/** Development: each message as `DATA_DIR/mail/<outbox id>.eml`, openable in any mail client. */
export class FileMailTransport extends MailTransport {
  private readonly transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  private readonly logger = new Logger(FileMailTransport.name);

  constructor(private readonly directory: string) {
    super();
  }

  async send(mail: OutgoingMail): Promise<void> {
    const { message } = (await this.transporter.sendMail(mail)) as { message: Buffer };
    await mkdir(this.directory, { recursive: true });
    const file = join(this.directory, `${mail.messageId.replace(/[<>]/g, '').split('@')[0]}.eml`);
    await writeFile(file, message);
    this.logger.log(`Wrote "${mail.subject}" for ${mail.to} to ${file}`);
  }

  close(): void {}
}
