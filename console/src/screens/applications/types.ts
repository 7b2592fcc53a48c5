/** Shapes of the Admin API's application, module, API resource and RBAC objects (docs/admin-api/applications.md, resources.md, rbac.md). */

export type ApplicationStatus = 'active' | 'inactive' | 'archived';

export interface Application {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  status: ApplicationStatus;
  createdAt: string;
  updatedAt: string;
}

export interface AppModule {
  id: string;
  applicationId: string;
  name: string;
  slug: string;
  description: string | null;
  status: 'active' | 'inactive';
  createdAt: string;
}

export interface ApiResource {
  id: string;
  applicationId: string;
  indicator: string;
  name: string;
  scopes: string[];
  accessTokenFormat: 'jwt' | 'opaque';
  accessTokenTtl: number | null;
  createdAt: string;
}

export interface Role {
  id: string;
  applicationId: string;
  name: string;
  slug: string;
  description: string | null;
  createdAt: string;
}

export interface Permission {
  id: string;
  applicationId: string;
  moduleId: string | null;
  name: string;
  slug: string;
  description: string | null;
  createdAt: string;
}

export type ClaimType = 'string' | 'number' | 'boolean' | 'json';

export interface ClaimDefinition {
  id: string;
  applicationId: string;
  claimName: string;
  claimType: ClaimType;
  description: string | null;
  includeInIdToken: boolean;
  includeInAccessToken: boolean;
  includeInUserinfo: boolean;
  createdAt: string;
}

export interface Data<T> {
  data: T;
}

/** The application the Admin API itself belongs to: its roles, permissions and claims are read-only. */
export const ADMIN_APPLICATION_SLUG = 'porta-admin';
