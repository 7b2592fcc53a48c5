-- Up Migration
-- Spec 70 §5: the `updated_at` claim changes only when the user's claims change (profile, e-mail, phone,
-- address), never on a sign-in or another bookkeeping write, which all move users.updated_at. A trigger keeps
-- it so on every write path (admin edits, erasure, imports), as users_touch does for updated_at.
ALTER TABLE users ADD COLUMN profile_updated_at timestamptz;
-- Existing users start from their last write; users_touch is held off so that updated_at stays as it was.
ALTER TABLE users DISABLE TRIGGER users_touch;
UPDATE users SET profile_updated_at = updated_at;
ALTER TABLE users ENABLE TRIGGER users_touch;
ALTER TABLE users ALTER COLUMN profile_updated_at SET DEFAULT now();
ALTER TABLE users ALTER COLUMN profile_updated_at SET NOT NULL;

CREATE OR REPLACE FUNCTION porta_touch_profile_updated_at() RETURNS trigger AS $$
BEGIN
  NEW.profile_updated_at = now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_profile_touch BEFORE UPDATE ON users FOR EACH ROW
  WHEN ((OLD.email, OLD.email_verified, OLD.given_name, OLD.family_name, OLD.middle_name, OLD.nickname,
         OLD.preferred_username, OLD.profile_url, OLD.picture_url, OLD.website_url, OLD.gender, OLD.birthdate,
         OLD.zoneinfo, OLD.locale, OLD.phone_number, OLD.phone_number_verified, OLD.address_street,
         OLD.address_locality, OLD.address_region, OLD.address_postal_code, OLD.address_country)
        IS DISTINCT FROM
        (NEW.email, NEW.email_verified, NEW.given_name, NEW.family_name, NEW.middle_name, NEW.nickname,
         NEW.preferred_username, NEW.profile_url, NEW.picture_url, NEW.website_url, NEW.gender, NEW.birthdate,
         NEW.zoneinfo, NEW.locale, NEW.phone_number, NEW.phone_number_verified, NEW.address_street,
         NEW.address_locality, NEW.address_region, NEW.address_postal_code, NEW.address_country))
  EXECUTE FUNCTION porta_touch_profile_updated_at();

-- Down Migration
DROP TRIGGER IF EXISTS users_profile_touch ON users;
DROP FUNCTION IF EXISTS porta_touch_profile_updated_at();
ALTER TABLE users DROP COLUMN IF EXISTS profile_updated_at;
