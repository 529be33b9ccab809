/** What the auth feature is configured with; provided by the app from the parsed environment. */
export class AuthSettings {
  constructor(
    /** HMAC key of the HS256 access tokens. */
    readonly jwtSecret: string,
    readonly tokenTtlSeconds: number,
  ) {}
}
