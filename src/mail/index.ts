/**
 * E-mail (spec 60 §8–§9): the durable outbox use cases write to, the rendering of
 * `templates/default/emails/`, and the delivery worker (SMTP, or local files in development).
 */
export { createMailService, type MailService, type MailServiceDeps } from './service.js';
export { createMailDelivery, type MailDelivery, type MailDeliveryDeps } from './delivery.js';
export { createMailComposer, type ComposedMail, type MailComposer, type MailComposerDeps } from './compose.js';
export { createMailRenderer, type MailBranding, type MailRenderer, type MailRenderContext, type RenderedParts } from './render.js';
export { checkSmtp, isPermanentSmtpFailure, readDevOutbox, type DevMailEntry, type MailTransport, type OutgoingMail, type SmtpCheck } from './transport.js';
export {
  MAIL_TEMPLATES, DEFAULT_DELIVERY_POLICY, retryDelayMs,
  type MailTemplate, type MailMessage, type DeliveryPolicy, type OutboxRow,
} from './schema.js';
