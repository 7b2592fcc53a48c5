export interface PlaygroundOptions {
  /** 0 = any free port; default 8765. */
  port?: number;
  host?: string;
  config: {
    issuer: string;
    /** The public client's client_id. */
    clientId: string;
    /** Default: `/callback` and `/logged-out` on this server. */
    redirectUri?: string;
    postLogoutRedirectUri?: string;
    scope?: string;
    loginHint?: string;
  };
}

export interface RunningPlayground {
  url: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  close(): Promise<void>;
}

export function startPlayground(options: PlaygroundOptions): Promise<RunningPlayground>;

export function loadPlaygroundConfig(env?: Record<string, string | undefined>): PlaygroundOptions['config'] & { port: number; registeredRedirectUris: string[] };
