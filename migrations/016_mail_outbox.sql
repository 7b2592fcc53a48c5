-- Up Migration
-- Spec 60 §8: e-mails leave through a durable outbox. A use case inserts its row in its own transaction
-- (a rolled-back change sends nothing); the delivery worker claims due rows with FOR UPDATE SKIP LOCKED,
-- so among several processes exactly one sends a row, and a restart or an SMTP outage loses nothing.
CREATE TABLE mail_outbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  recipient text NOT NULL,
  template varchar(50) NOT NULL,
  -- NULL = the organization's default locale at rendering time
  locale varchar(10),
  data jsonb NOT NULL DEFAULT '{}',
  status varchar(10) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- the transport's answer (code and message); never credentials nor the message's links
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_organization_id ON mail_outbox (organization_id);

-- Down Migration
DROP TABLE IF EXISTS mail_outbox;
