import { systemActor } from '../actors/index.js';
import { randomBytes } from 'node:crypto';
import type { Log } from '../platform/log.js';
import { parseInput } from '../platform/validation.js';
import type { OrganizationService, Organization } from '../organizations/index.js';
import type { ApplicationService, Application } from '../applications/index.js';
import type { ClientService, Client, CreateClientInput } from '../clients/index.js';
import type { UserService, User } from '../users/index.js';
import type { AuditService } from '../audit/index.js';
import { seedMissing, seedObjectUnusable } from './errors.js';
import {
  SEED_APPLICATION_SLUG,
  SEED_ORG_SLUG,
  SEED_OTHER_ORG_SLUG,
  SEED_USER_EMAIL,
  SeedInput,
  SeedRedirectUris,
  postLogoutUriFor,
  type SeedItem,
  type SeedResult,
} from './schema.js';

export interface SeedServiceDeps {
  organizations: OrganizationService;
  applications: ApplicationService;
  clients: ClientService;
  users: UserService;
  audit: AuditService;
  log: Log;
}

const ORG_SLUGS = [SEED_ORG_SLUG, SEED_OTHER_ORG_SLUG] as const;

const SCOPE = 'openid profile email offline_access';
const SECRET_LABEL = 'porta seed';

/** Fixed client_ids keep the playgrounds' configuration stable across reruns (`demo-spa`, `demo-b-web`, …). */
const spaClientId = (orgSlug: string) => `${orgSlug}-spa`;
const webClientId = (orgSlug: string) => `${orgSlug}-web`;

interface Uris {
  redirectUris: string[];
  postLogoutRedirectUris: string[];
}

export type SeedService = ReturnType<typeof createSeedService>;

/**
 * Development data (spec 30 §3 `porta seed run`): orgs `demo` and `demo-b` sharing application `demo-app`,
 * each with a public SPA client, a confidential web client and `user@demo.test`. Reruns reuse every
 * object, re-register the redirect URIs and issue a fresh password and client secret (older secrets revoked).
 */
export function createSeedService({ organizations, applications, clients, users, audit, log }: SeedServiceDeps) {
  // Every seeded object goes through the same use cases as any other edge, as the system (source `seed`).
  const actor = systemActor('seed');
  const urisFor = (redirectUris: string[]): Uris => ({ redirectUris, postLogoutRedirectUris: redirectUris.map(postLogoutUriFor) });

  async function ensureApplication(items: SeedItem[]): Promise<Application> {
    const existing = await applications.findBySlug(SEED_APPLICATION_SLUG);
    if (!existing) {
      const created = await applications.create(actor, { name: 'Demo App', slug: SEED_APPLICATION_SLUG, description: 'Created by porta seed run.' });
      items.push({ type: 'application', key: created.slug, id: created.id, action: 'created' });
      return created;
    }
    const app = existing.status === 'active' ? existing : (await applications.setStatus(actor, existing.id, 'active')).application;
    items.push({ type: 'application', key: app.slug, id: app.id, action: 'reused' });
    return app;
  }

  async function ensureOrganization(slug: string, name: string, items: SeedItem[]): Promise<Organization> {
    const existing = await organizations.findBySlug(slug);
    if (!existing) {
      const created = await organizations.create(actor, { name, slug });
      items.push({ type: 'organization', key: slug, id: created.id, action: 'created' });
      return created;
    }
    let org = existing;
    if (org.status === 'suspended') org = (await organizations.activate(actor, org.id)).organization;
    if (org.status === 'archived') org = (await organizations.restore(actor, org.id)).organization;
    items.push({ type: 'organization', key: slug, id: org.id, action: 'reused' });
    return org;
  }

  /** The client with this client_id, active and registered for `uris`; created when missing. */
  async function ensureClient(org: Organization, input: CreateClientInput & { clientId: string }, uris: Uris, items: SeedItem[]) {
    const key = `${org.slug}/${input.clientId}`;
    const existing = await clients.findByClientId(org.id, input.clientId);
    if (!existing) {
      const created = await clients.create(actor, org.id, { ...input, ...uris });
      items.push({ type: 'client', key, id: created.client.id, action: 'created' });
      return { client: created.client, secret: created.secret?.plaintext };
    }
    if (existing.status === 'revoked') throw seedObjectUnusable(`Client ${input.clientId} in ${org.slug}`, 'is revoked');
    let client: Client = await clients.update(actor, org.id, existing.id, uris);
    if (client.status !== 'active') client = await clients.setStatus(actor, org.id, client.id, 'active');
    items.push({ type: 'client', key, id: client.id, action: 'reused' });
    return { client, secret: undefined };
  }

  /** A new secret first, then every other one revoked, so the client is never without a working secret. */
  async function rotateSecret(org: Organization, client: Client): Promise<string> {
    const fresh = await clients.generateSecret(actor, org.id, client.id, { label: SECRET_LABEL });
    for (const old of await clients.listSecrets(org.id, client.id)) {
      if (old.id !== fresh.id && old.status === 'active') await clients.revokeSecret(actor, org.id, client.id, old.id);
    }
    return fresh.plaintext;
  }

  async function ensureUser(org: Organization, password: string, items: SeedItem[]): Promise<User> {
    const key = `${org.slug}/${SEED_USER_EMAIL}`;
    const existing = await users.findByEmail(org.id, SEED_USER_EMAIL);
    if (!existing) {
      const created = await users.create(actor, org.id, { email: SEED_USER_EMAIL, password, givenName: 'Demo', familyName: 'User', emailVerified: true });
      items.push({ type: 'user', key, id: created.id, action: 'created' });
      return created;
    }
    let user = await users.setPassword(actor, org.id, existing.id, password, { clearLockout: true });
    if (user.status === 'inactive') user = await users.setStatus(actor, org.id, user.id, 'activate');
    if (user.status === 'suspended') user = await users.setStatus(actor, org.id, user.id, 'unsuspend');
    if (user.status === 'locked') user = await users.setStatus(actor, org.id, user.id, 'unlock');
    if (!user.emailVerified) user = await users.verifyEmail(actor, org.id, user.id);
    items.push({ type: 'user', key, id: user.id, action: 'reused' });
    return user;
  }

  async function seedOrganization(slug: string, name: string, app: Application, uris: Uris, password: string, items: SeedItem[]) {
    const org = await ensureOrganization(slug, name, items);
    const common = { applicationId: app.id, scope: SCOPE };
    const spa = await ensureClient(org, { ...common, clientId: spaClientId(slug), clientName: `${name} SPA`, clientType: 'public', applicationType: 'spa' }, uris, items);
    const web = await ensureClient(org, { ...common, clientId: webClientId(slug), clientName: `${name} web app`, clientType: 'confidential', applicationType: 'web' }, uris, items);
    const secret = web.secret ?? (await rotateSecret(org, web.client));
    await ensureUser(org, password, items);
    return { org, spa: spa.client, web: web.client, secret };
  }

  return {
    async run(input: SeedInput): Promise<SeedResult> {
      const { baseUrl, redirectUris } = parseInput(SeedInput, input);
      const uris = urisFor(redirectUris);
      const password = randomBytes(18).toString('base64url');
      const items: SeedItem[] = [];
      const app = await ensureApplication(items);
      const demo = await seedOrganization(SEED_ORG_SLUG, 'Demo', app, uris, password, items);
      await seedOrganization(SEED_OTHER_ORG_SLUG, 'Demo B', app, uris, password, items);
      await audit.record(actor, {
        eventType: 'system.seeded',
        eventCategory: 'system',
        organizationId: demo.org.id,
        description: 'Development data seeded (porta seed run).',
        metadata: { created: items.filter((i) => i.action === 'created').map((i) => i.key), redirectUris },
      });
      log.info({ organizations: ORG_SLUGS, created: items.filter((i) => i.action === 'created').length }, 'seed.applied');
      return {
        output: {
          baseUrl,
          orgSlug: demo.org.slug,
          otherOrgSlug: SEED_OTHER_ORG_SLUG,
          issuer: `${baseUrl}/${demo.org.slug}`,
          redirectUri: uris.redirectUris[0]!,
          postLogoutRedirectUri: uris.postLogoutRedirectUris[0]!,
          ...uris,
          publicClient: { id: demo.spa.clientId },
          confidentialClient: { id: demo.web.clientId, secret: demo.secret },
          user: { email: SEED_USER_EMAIL, password },
        },
        items,
      };
    },

    /** Registers exactly these redirect URIs (and their post-logout URIs) on every seeded client, changing no credential. */
    async registerRedirectUris(redirectUris: string[]): Promise<void> {
      const uris = urisFor(parseInput(SeedRedirectUris, redirectUris));
      for (const slug of ORG_SLUGS) {
        const org = await organizations.findBySlug(slug);
        if (!org) throw seedMissing(`Organization ${slug}`);
        for (const clientId of [spaClientId(slug), webClientId(slug)]) {
          const client = await clients.findByClientId(org.id, clientId);
          if (!client) throw seedMissing(`Client ${clientId} in ${slug}`);
          await clients.update(actor, org.id, client.id, uris);
        }
      }
    },
  };
}
