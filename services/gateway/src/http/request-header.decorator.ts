import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** One request header by its lower-case name; unlike @Headers() it takes pipes, e.g. to validate it. */
export const RequestHeader = createParamDecorator(
  (name: string, ctx: ExecutionContext): string | string[] | undefined => {
    const request = ctx
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | string[] | undefined> }>();
    return request.headers[name.toLowerCase()];
  },
);
