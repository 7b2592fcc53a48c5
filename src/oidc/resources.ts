import { errors, type ResourceServer } from 'oidc-provider';
import type { ApplicationService } from '../applications/index.js';
import { applicationIdOf } from './rbac-claims.js';
import type { TtlSettings } from './types.js';

type EngineClient = Parameters<typeof applicationIdOf>[0];

/**
 * RFC 8707 `resource` values (spec 70 §5): a client may name the API resources its own application
 * declares, nothing else (`invalid_target`). A token for a resource has the indicator as audience and
 * only the resource's scopes; `jwt` resources get RFC 9068 tokens signed RS256 with the issuer's keys.
 */
export function resourceServerInfo(applications: Pick<ApplicationService, 'findResourceByIndicator'>, ttl: TtlSettings) {
  return async (_ctx: unknown, indicator: string, client: EngineClient): Promise<ResourceServer> => {
    const applicationId = applicationIdOf(client);
    const resource = applicationId ? await applications.findResourceByIndicator(applicationId, indicator) : null;
    if (!resource) throw new errors.InvalidTarget('the resource is not an API of this client\'s application');
    return {
      scope: resource.scopes.join(' '),
      audience: resource.indicator,
      accessTokenTTL: resource.accessTokenTtl ?? ttl.get('access_token_ttl'),
      accessTokenFormat: resource.accessTokenFormat,
      ...(resource.accessTokenFormat === 'jwt' ? { jwt: { sign: { alg: 'RS256' } } } : {}),
    };
  };
}
