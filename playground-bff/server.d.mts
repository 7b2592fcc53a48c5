/** A token endpoint response as Porta sends it. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
}

export interface BffOptions {
  /** 0 = any free port; default 8766. */
  port?: number;
  host?: string;
  config: {
    issuer: string;
    /** The confidential client's client_id and secret (client_secret_basic). */
    clientId: string;
    clientSecret: string;
    /** Default: `/callback` and `/logged-out` on this server. */
    redirectUri?: string;
    postLogoutRedirectUri?: string;
    scope?: string;
  };
  /** Sees every token response (tests, debugging). */
  onTokens?: (tokens: TokenResponse) => void;
}

export interface RunningBff {
  url: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  close(): Promise<void>;
}

export function startBff(options: BffOptions): Promise<RunningBff>;

export function loadBffConfig(env?: Record<string, string | undefined>): BffOptions['config'] & { port: number; registeredRedirectUris: string[] };
