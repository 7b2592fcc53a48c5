import { z } from 'zod';

export const APPLICATION_STATUSES = ['active', 'inactive', 'archived'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

export const MODULE_STATUSES = ['active', 'inactive'] as const;
export type ModuleStatus = (typeof MODULE_STATUSES)[number];

export interface Application {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  status: ApplicationStatus;
  createdAt: string;
  updatedAt: string;
}

export interface Module {
  id: string;
  applicationId: string;
  name: string;
  slug: string;
  description: string | null;
  status: ModuleStatus;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  data: T[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}

const name = z.string().trim().min(1).max(255);
const description = z.string().max(2000).nullable();

export const CreateApplicationInput = z.strictObject({
  name,
  slug: z.string().optional(),
  description: description.optional(),
});
export type CreateApplicationInput = z.input<typeof CreateApplicationInput>;

export const UpdateApplicationInput = z.strictObject({
  name: name.optional(),
  slug: z.string().optional(),
  description: description.optional(),
});
export type UpdateApplicationInput = z.input<typeof UpdateApplicationInput>;

export const APPLICATION_SORTS = ['name', 'slug', 'created_at', 'updated_at'] as const;

export const ListApplicationsQuery = z.strictObject({
  status: z.enum(APPLICATION_STATUSES).optional(),
  search: z.string().trim().max(255).optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  sort: z.enum(APPLICATION_SORTS).default('created_at'),
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type ListApplicationsQuery = z.input<typeof ListApplicationsQuery>;

export const CreateModuleInput = z.strictObject({
  name,
  slug: z.string().optional(),
  description: description.optional(),
});
export type CreateModuleInput = z.input<typeof CreateModuleInput>;

export const UpdateModuleInput = z.strictObject({
  name: name.optional(),
  slug: z.string().optional(),
  description: description.optional(),
  status: z.enum(MODULE_STATUSES).optional(),
});
export type UpdateModuleInput = z.input<typeof UpdateModuleInput>;

export { parseInput } from '../platform/validation.js';
