import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ENVIRONMENT } from '../shared/config/config.module';
import type { Environment } from '../shared/config/environment';
import { JobHandlers } from '../shared/queue/job-handlers';
import type { JobPayloads } from '../shared/queue/job-registry';
import { MailTransport } from './mail-transport';
import { MailJobName, renderMail } from './templates';

/** Renders and sends the mail jobs of the `mail` queue, whichever process runs them. */
@Injectable()
export class MailSender implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly transport: MailTransport,
    private readonly handlers: JobHandlers,
    @Inject(ENVIRONMENT) private readonly env: Environment,
  ) {}

  onModuleInit(): void {
    this.handlers.register('mail', (name, payload, jobId) => this.send(name as MailJobName, payload, jobId));
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }

  async send(name: MailJobName, payload: JobPayloads[MailJobName], jobId: string): Promise<void> {
    const mail = renderMail(name, payload);
    await this.transport.send({ ...mail, from: this.env.mailFrom, messageId: `<${jobId}@orderly.mail>` });
  }
}
