-- Up Migration
-- Spec 60 §5: the login a password reset was asked from (its client and interaction, looked up by the
-- server in the link's organization), so the success page can lead back to the application. The client is
-- looked up again in the organization when the page is shown: a client deleted or disabled since gets no link.
ALTER TABLE password_reset_tokens ADD COLUMN client_id varchar(255);
ALTER TABLE password_reset_tokens ADD COLUMN interaction_uid varchar(255);
ALTER TABLE password_reset_tokens ADD CONSTRAINT password_reset_tokens_origin CHECK (interaction_uid IS NULL OR client_id IS NOT NULL);

-- Down Migration
ALTER TABLE password_reset_tokens DROP CONSTRAINT IF EXISTS password_reset_tokens_origin;
ALTER TABLE password_reset_tokens DROP COLUMN IF EXISTS interaction_uid;
ALTER TABLE password_reset_tokens DROP COLUMN IF EXISTS client_id;
