import { Module } from '@nestjs/common';
import { join } from 'node:path';
import { ENVIRONMENT } from '../shared/config/config.module';
import type { Environment } from '../shared/config/environment';
import { MailSender } from './mail-sender';
import { FileMailTransport, MailTransport, SmtpMailTransport } from './mail-transport';

@Module({
  providers: [
    MailSender,
    {
      provide: MailTransport,
      inject: [ENVIRONMENT],
      useFactory: (env: Environment) =>
        env.smtpUrl
          ? new SmtpMailTransport(env.smtpUrl, Math.min(env.workerConcurrency, 20))
          : new FileMailTransport(join(env.dataDir, 'mail')),
    },
  ],
  exports: [MailSender],
})
export class MailModule {}
