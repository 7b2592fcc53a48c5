import { describe, expect, it } from 'vitest';
import { standardClaims, type ClaimsUser } from './claims.js';

const bare: ClaimsUser = {
  id: '6f1c2b8e-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
  email: 'ada@example.com',
  emailVerified: false,
  givenName: null,
  familyName: null,
  middleName: null,
  nickname: null,
  preferredUsername: null,
  profileUrl: null,
  pictureUrl: null,
  websiteUrl: null,
  gender: null,
  birthdate: null,
  zoneinfo: null,
  locale: null,
  phoneNumber: null,
  phoneNumberVerified: false,
  address: null,
  profileUpdatedAt: '2026-01-02T03:04:05.678Z',
};

const full: ClaimsUser = {
  ...bare,
  emailVerified: true,
  givenName: 'Ada',
  middleName: 'King',
  familyName: 'Lovelace',
  nickname: 'ada',
  preferredUsername: 'ada.l',
  profileUrl: 'https://example.com/ada',
  pictureUrl: 'https://example.com/ada.png',
  websiteUrl: 'https://ada.example',
  gender: 'female',
  birthdate: '1815-12-10',
  zoneinfo: 'Europe/London',
  locale: 'en-GB',
  phoneNumber: '+44 20 7946 0000',
  phoneNumberVerified: true,
  address: { street: '12 St James Sq', locality: 'London', region: null, postalCode: 'SW1Y 4JH', country: 'GB' },
};

const all = new Set(['openid', 'profile', 'email', 'phone', 'address']);

describe('standardClaims', () => {
  it('always has sub and nothing else for openid alone', () => {
    expect(standardClaims(full, new Set(['openid']))).toEqual({ sub: full.id });
  });

  it('maps every profile, email, phone and address claim', () => {
    expect(standardClaims(full, all)).toEqual({
      sub: full.id,
      name: 'Ada King Lovelace',
      given_name: 'Ada',
      family_name: 'Lovelace',
      middle_name: 'King',
      nickname: 'ada',
      preferred_username: 'ada.l',
      profile: 'https://example.com/ada',
      picture: 'https://example.com/ada.png',
      website: 'https://ada.example',
      gender: 'female',
      birthdate: '1815-12-10',
      zoneinfo: 'Europe/London',
      locale: 'en-GB',
      updated_at: Math.floor(Date.UTC(2026, 0, 2, 3, 4, 5) / 1000),
      email: 'ada@example.com',
      email_verified: true,
      phone_number: '+44 20 7946 0000',
      phone_number_verified: true,
      address: { street_address: '12 St James Sq', locality: 'London', postal_code: 'SW1Y 4JH', country: 'GB' },
    });
  });

  it('omits null values, an empty name, the phone without a number and an empty address', () => {
    expect(standardClaims(bare, all)).toEqual({
      sub: bare.id,
      updated_at: Math.floor(Date.parse(bare.profileUpdatedAt) / 1000),
      email: 'ada@example.com',
      email_verified: false,
    });
  });

  it('joins only the name parts that are present', () => {
    expect(standardClaims({ ...bare, givenName: 'Ada', familyName: 'Lovelace' }, new Set(['profile'])).name).toBe('Ada Lovelace');
    expect(standardClaims({ ...bare, familyName: 'Lovelace' }, new Set(['profile'])).name).toBe('Lovelace');
  });

  it('releases only what the scopes allow', () => {
    const claims = standardClaims(full, new Set(['openid', 'email']));
    expect(Object.keys(claims).sort()).toEqual(['email', 'email_verified', 'sub']);
    const address = standardClaims({ ...bare, address: { street: null, locality: null, region: null, postalCode: null, country: 'FR' } }, new Set(['address']));
    expect(address.address).toEqual({ country: 'FR' });
  });
});
