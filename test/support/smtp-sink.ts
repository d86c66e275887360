import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  receivedAt: number;
}

/**
 * A real SMTP server in the test process. Addresses listed in `rejectRecipients` are refused with
 * a permanent 550, as a real server refuses an unknown mailbox.
 */
export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  readonly rejectRecipients = new Set<string>();
  /** Holds each message this long before accepting it, to keep jobs running. */
  delayMs = 0;
  inFlight = 0;
  private readonly server: SMTPServer;
  port = 0;

  private constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      size: 1024 * 1024,
      onRcptTo: (address, _session, callback) => {
        if (this.rejectRecipients.has(address.address.toLowerCase())) {
          return callback(Object.assign(new Error('No such mailbox'), { responseCode: 550 }));
        }
        callback();
      },
      onData: (stream, _session, callback) => {
        this.inFlight += 1;
        simpleParser(stream)
          .then(async (parsed) => {
            if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
            const to = Array.isArray(parsed.to) ? parsed.to[0]?.text : parsed.to?.text;
            this.messages.push({
              to: to ?? '',
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              messageId: parsed.messageId ?? '',
              receivedAt: Date.now(),
            });
            callback();
          })
          .catch(callback)
          .finally(() => (this.inFlight -= 1));
      },
    });
  }

  static async start(): Promise<SmtpSink> {
    const sink = new SmtpSink();
    // A client killed mid-session (the SIGKILL test) resets its connection; that is the point, not a failure.
    sink.server.on('error', () => undefined);
    sink.port = await new Promise<number>((resolve) => {
      sink.server.listen(0, '127.0.0.1', () => resolve((sink.server.server.address() as { port: number }).port));
    });
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  to(address: string): ReceivedMail[] {
    return this.messages.filter((message) => message.to.toLowerCase() === address.toLowerCase());
  }

  async waitFor(predicate: (messages: ReceivedMail[]) => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      if (Date.now() > deadline) throw new Error(`SMTP sink: condition not met after ${timeoutMs} ms (${this.messages.length} messages)`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
