import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import Provider, { errors, type AdapterPayload, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { resolveClientSettings, type ClientSettings } from '../clients/index.js';
import { rawBody } from '../pages/index.js';
import { AppError } from '../platform/errors.js';
import { registeredMetadata, registrationDraft, type RegistrationDraft } from './registration-metadata.js';
import type { OidcDeps, Organization } from './types.js';

/** RFC 7591 registration endpoint under `/{org}`; RFC 7592 client configuration endpoints are `{this}/{client_id}`. */
export const REGISTRATION_PATH = '/auth/register';
const CLIENT_CONFIGURATION_PATH = /^\/auth\/register\/([^/]+)\/?$/i;

/** The one policy of Porta's initial access tokens, carried on to registration access tokens (RFC 7592 updates). */
const POLICY = 'porta-client-rules';
/** Routes whose answers describe a registered client (the engine's names). */
const CLIENT_ROUTES = new Set(['registration', 'client', 'client_update']);

type EngineCtx = KoaContextWithOIDC & { state: Record<string, unknown> };

/** What the policy decided for this request, for the Client adapter's write that follows it. */
const decided = new WeakMap<object, { draft: RegistrationDraft; settings: ClientSettings }>();

const engineCtx = () => (Provider as unknown as { ctx?: EngineCtx }).ctx;
const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * Spec 70 §5: only where the organization turned it on (the engine of that shape, provider.ts
 * `engineShapeOf`); elsewhere the routes do not exist and discovery omits them.
 */
export function registrationFeatures(isEnabled: boolean): Pick<NonNullable<Configuration['features']>, 'registration' | 'registrationManagement'> {
  if (!isEnabled) return { registration: { enabled: false }, registrationManagement: { enabled: false } };
  return {
    registration: {
      enabled: true,
      // Porta's tokens (made by admins, stored hashed), found through the adapter's InitialAccessToken model.
      initialAccessToken: true,
      issueRegistrationAccessToken: true,
      // Porta's formats: client_id 32 random bytes, secret 48, base64url.
      idFactory: () => randomBytes(32).toString('base64url'),
      secretFactory: async () => randomBytes(48).toString('base64url'),
      policies: { [POLICY]: applyClientRules },
    },
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
  };
}

/**
 * Porta's client rules on a registration or update request, before the engine validates it: the
 * request becomes the client Porta will store (defaults applied, unsupported members dropped), or
 * fails with `invalid_client_metadata` / `invalid_redirect_uri` and nothing is stored.
 */
async function applyClientRules(ctx: KoaContextWithOIDC, properties: Record<string, unknown>): Promise<void> {
  const draft = registrationDraft(properties);
  const current = ctx.oidc.route === 'client_update' ? ctx.oidc.client : undefined;
  if (current && current.tokenEndpointAuthMethod !== draft.tokenEndpointAuthMethod) {
    throw new errors.InvalidClientMetadata('token_endpoint_auth_method cannot change; register a new client instead');
  }
  let settings: ClientSettings;
  try {
    settings = resolveClientSettings(draft);
  } catch (err) {
    throw engineError(err);
  }
  decided.set(ctx, { draft, settings });
  const registered = registeredMetadata(settings, draft.clientName, properties);
  for (const key of Object.keys(properties)) delete properties[key];
  Object.assign(properties, registered);
}

/** Porta's answer to a use case's refusal, in RFC 7591 §3.2.2 / RFC 6750 terms. */
function engineError(err: unknown): unknown {
  if (!(err instanceof AppError)) return err;
  switch (err.kind) {
    case 'invalid':
      // The engine names the error invalid_redirect_uri when the description starts with "redirect_uris".
      return new errors.InvalidClientMetadata(err.code === 'invalid_redirect_uri' ? `redirect_uris: ${err.message}` : err.message);
    case 'unauthorized':
    case 'not_found':
      return new errors.InvalidToken(err.message);
    case 'forbidden':
      return new errors.InvalidRequest(err.message, 403);
    default:
      return err;
  }
}

function originOf(ctx: EngineCtx | undefined) {
  return { ip: ctx?.ip, userAgent: ctx?.get('User-Agent'), requestId: ctx?.state.requestId as string | undefined };
}

/**
 * The adapter's side of registration: initial access tokens come from Porta's store, and the engine's
 * client writes become the clients domain's use cases (register, update, revoke) with the relying party
 * as the actor. Each write follows the policy above in the same request.
 */
export function registrationStore(deps: Pick<OidcDeps, 'registration'>, org: Organization) {
  return {
    async findInitialAccessToken(value: string): Promise<AdapterPayload | undefined> {
      const token = await deps.registration.findUsableToken(org.id, value);
      if (!token) return undefined;
      return { jti: value, kind: 'InitialAccessToken', iat: epoch(token.createdAt), exp: epoch(token.expiresAt), policies: [POLICY] };
    },

    async saveClient(clientId: string, metadata: AdapterPayload): Promise<void> {
      const ctx = engineCtx();
      const request = ctx && decided.get(ctx);
      if (!ctx || !request) throw new Error('the engine wrote a client outside a registration request');
      const { draft, settings } = request;
      const fields = {
        clientName: draft.clientName,
        applicationType: settings.applicationType,
        redirectUris: settings.redirectUris,
        postLogoutRedirectUris: settings.postLogoutRedirectUris,
        grantTypes: settings.grantTypes,
        scope: settings.scope,
        tokenEndpointAuthMethod: settings.tokenEndpointAuthMethod,
        idTokenSignedResponseAlg: settings.idTokenSignedResponseAlg,
        jwks: settings.jwks,
        jwksUri: settings.jwksUri,
      };
      try {
        if (ctx.oidc.route === 'registration') {
          const presented = ctx.oidc.entities.InitialAccessToken?.jti ?? '';
          const secret = typeof metadata.client_secret === 'string' ? { value: metadata.client_secret, label: 'dynamic registration' } : undefined;
          await deps.registration.register(org.id, presented, { ...fields, clientId, clientType: settings.clientType, secret }, originOf(ctx));
        } else {
          await deps.registration.updateRegistered(org.id, clientId, fields, originOf(ctx));
        }
      } catch (err) {
        throw engineError(err);
      }
    },

    /** RFC 7592 delete revokes the client: Porta keeps the row, as for an admin's revocation. */
    async removeClient(clientId: string): Promise<void> {
      try {
        await deps.registration.removeRegistered(org.id, clientId, originOf(engineCtx()));
      } catch (err) {
        throw engineError(err);
      }
    },
  };
}

/**
 * Answers about a registered client never carry Porta's internal fields, nor a secret: Porta keeps only
 * hashes, so only the registration response has the secret, once (RFC 7591 §3.2.1).
 */
export function installRegistration(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    const route = (ctx as unknown as KoaContextWithOIDC).oidc?.route;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (!route || !CLIENT_ROUTES.has(route) || typeof body !== 'object' || body === null || ctx.status >= 300) return;
    delete body.porta;
    if (route !== 'registration') {
      delete body.client_secret;
      delete body.client_secret_expires_at;
    }
  });
}

/**
 * RFC 7592 §2.2: an update may repeat the client's secret, which must match. The engine would compare it
 * with its stand-in for Porta's hashed secrets, so Porta checks it here, for the holder of the client's
 * registration access token, and hands the engine the request without it; a wrong secret is left for the
 * engine to refuse.
 */
export async function checkPresentedSecret(ctx: Context, deps: Pick<OidcDeps, 'clients'>, org: Organization, provider: Provider, rest: string): Promise<void> {
  const match = ctx.method === 'PUT' && org.dynamicRegistration ? CLIENT_CONFIGURATION_PATH.exec(rest) : null;
  if (!match || !ctx.is('application/json')) return;
  let body: unknown;
  try {
    body = JSON.parse((await rawBody(ctx)).toString('utf8'));
  } catch {
    return;
  }
  if (typeof body !== 'object' || body === null || typeof (body as { client_secret?: unknown }).client_secret !== 'string') return;
  let clientId: string;
  try {
    clientId = decodeURIComponent(match[1]!);
  } catch {
    return;
  }
  const bearer = /^Bearer (\S+)$/i.exec(ctx.get('Authorization'))?.[1];
  const token = bearer ? await provider.RegistrationAccessToken.find(bearer) : undefined;
  if (token?.clientId !== clientId) return;
  const client = await deps.clients.findByClientIdUncached(org.id, clientId);
  const { client_secret: secret, ...withoutSecret } = body as Record<string, unknown>;
  if (!client || !(await deps.clients.verifySecret(client.id, secret as string))) return;
  ctx.req.body = Buffer.from(JSON.stringify(withoutSecret));
}
