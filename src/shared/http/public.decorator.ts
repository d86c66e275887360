import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'orderly:public';

/** Opts a route out of the global authentication guard; everything else requires a token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
