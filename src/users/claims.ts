import type { User } from './repo.js';

export type ClaimsUser = Pick<
  User,
  | 'id' | 'email' | 'emailVerified' | 'givenName' | 'familyName' | 'middleName' | 'nickname' | 'preferredUsername'
  | 'profileUrl' | 'pictureUrl' | 'websiteUrl' | 'gender' | 'birthdate' | 'zoneinfo' | 'locale'
  | 'phoneNumber' | 'phoneNumberVerified' | 'address' | 'profileUpdatedAt'
>;

type Claims = Record<string, unknown>;

function put(claims: Claims, name: string, value: unknown): void {
  if (value !== null && value !== undefined && value !== '') claims[name] = value;
}

/**
 * OIDC standard claims for the granted scopes (spec 10 §4); absent values are omitted, not null.
 * `phone_number_verified` goes with a phone number only.
 */
export function standardClaims(user: ClaimsUser, scopes: ReadonlySet<string>): Claims {
  const claims: Claims = { sub: user.id };
  if (scopes.has('profile')) {
    const name = [user.givenName, user.middleName, user.familyName].filter((p) => p != null && p.trim() !== '').join(' ');
    put(claims, 'name', name);
    put(claims, 'given_name', user.givenName);
    put(claims, 'family_name', user.familyName);
    put(claims, 'middle_name', user.middleName);
    put(claims, 'nickname', user.nickname);
    put(claims, 'preferred_username', user.preferredUsername);
    put(claims, 'profile', user.profileUrl);
    put(claims, 'picture', user.pictureUrl);
    put(claims, 'website', user.websiteUrl);
    put(claims, 'gender', user.gender);
    put(claims, 'birthdate', user.birthdate);
    put(claims, 'zoneinfo', user.zoneinfo);
    put(claims, 'locale', user.locale);
    // Spec 70 §5: when the claims last changed, not when the row was last written (sign-ins write it too).
    const updated = Date.parse(user.profileUpdatedAt);
    if (Number.isFinite(updated)) claims.updated_at = Math.floor(updated / 1000);
  }
  if (scopes.has('email')) {
    put(claims, 'email', user.email);
    claims.email_verified = user.emailVerified;
  }
  if (scopes.has('phone') && user.phoneNumber) {
    claims.phone_number = user.phoneNumber;
    claims.phone_number_verified = user.phoneNumberVerified;
  }
  if (scopes.has('address') && user.address) {
    const address: Claims = {};
    put(address, 'street_address', user.address.street);
    put(address, 'locality', user.address.locality);
    put(address, 'region', user.address.region);
    put(address, 'postal_code', user.address.postalCode);
    put(address, 'country', user.address.country);
    if (Object.keys(address).length > 0) claims.address = address;
  }
  return claims;
}
