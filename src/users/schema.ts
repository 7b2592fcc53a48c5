import { z } from 'zod';

export const UserStatus = z.enum(['active', 'inactive', 'suspended', 'locked']);
export type UserStatus = z.infer<typeof UserStatus>;

// Admin API 20 §5.6 caps e-mail at 255 (RFC 5321 allows 254 in a path).
export const UserEmail = z.string().trim().min(1).max(255).pipe(z.email());
export type UserEmail = z.infer<typeof UserEmail>;

export const UserPassword = z.string().min(8).max(128);
export type UserPassword = z.infer<typeof UserPassword>;

const text = (max: number) => z.string().trim().max(max).nullable().optional();
const webUrl = z.url({ protocol: /^https?$/ }).max(2048).nullable().optional();

export const UserAddressInput = z.object({
  street: z.string().trim().max(1000).nullable().optional(),
  locality: text(255),
  region: text(255),
  postalCode: text(20),
  country: z.string().trim().regex(/^[A-Za-z]{2}$/, 'two-letter country code').transform((c) => c.toUpperCase()).nullable().optional(),
});
export type UserAddressInput = z.input<typeof UserAddressInput>;

const profileFields = {
  givenName: text(255),
  familyName: text(255),
  middleName: text(255),
  nickname: text(255),
  preferredUsername: text(255),
  profileUrl: webUrl,
  pictureUrl: webUrl,
  websiteUrl: webUrl,
  gender: text(50),
  birthdate: z.iso.date().nullable().optional(),
  zoneinfo: text(50),
  locale: text(10),
  phoneNumber: text(50),
  phoneNumberVerified: z.boolean().optional(),
  address: UserAddressInput.nullable().optional(),
  emailVerified: z.boolean().optional(),
};

export const CreateUserInput = z.object({
  email: UserEmail,
  password: UserPassword.optional(),
  status: z.enum(['active', 'inactive']).optional(),
  ...profileFields,
});
export type CreateUserInput = z.input<typeof CreateUserInput>;

/** Profile fields only: null clears a field; the e-mail is immutable and status changes have their own calls. */
export const UpdateUserInput = z.strictObject(profileFields);
export type UpdateUserInput = z.input<typeof UpdateUserInput>;

export const UserSortBy = z.enum(['email', 'given_name', 'family_name', 'created_at', 'last_login_at']);
export type UserSortBy = z.infer<typeof UserSortBy>;

export const ListUsersInput = z.object({
  status: UserStatus.optional(),
  search: z.string().trim().max(255).optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  sortBy: UserSortBy.default('created_at'),
  sortOrder: z.enum(['asc', 'desc']).default('desc'),
});
export type ListUsersInput = z.input<typeof ListUsersInput>;

export const LockReason = z.string().trim().min(1).max(500);
export type LockReason = z.infer<typeof LockReason>;
