import { describe, expect, it } from 'vitest';
import { describeSmtpError, isPermanentSmtpFailure } from './transport.js';

/** What nodemailer throws: a message, its own code, the reply code and the command it answered. */
const smtpError = (responseCode: number | undefined, command: string, code = 'EENVELOPE') =>
  Object.assign(new Error(`Failed: ${responseCode ?? ''} reply`), { code, command, ...(responseCode === undefined ? {} : { responseCode }) });

describe('SMTP failures', () => {
  it.each([
    [550, 'RCPT TO'],
    [553, 'RCPT TO'],
    [552, 'DATA'],
    [554, 'DATA'],
  ])('a %i reply to %s is permanent', (code, command) => {
    expect(isPermanentSmtpFailure(smtpError(code, command))).toBe(true);
  });

  it.each([
    [451, 'RCPT TO', 'a temporary reply'],
    [452, 'DATA', 'a temporary reply'],
    [535, 'AUTH PLAIN', "the relay refusing Porta's login"],
    [553, 'MAIL FROM', 'the relay refusing SMTP_FROM'],
    [554, 'CONN', 'the greeting'],
    [undefined, 'CONN', 'a connection error'],
  ])('a %s reply to %s is retried (%s)', (code: number | undefined, command: string, _why: string) => {
    expect(isPermanentSmtpFailure(smtpError(code, command))).toBe(false);
  });

  it('is not permanent for errors that are not SMTP replies', () => {
    expect(isPermanentSmtpFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ESOCKET' }))).toBe(false);
    expect(isPermanentSmtpFailure('550')).toBe(false);
    expect(isPermanentSmtpFailure(null)).toBe(false);
  });

  it('describes a refusal without the password', () => {
    const err = Object.assign(new Error('Invalid login: 535 bad credentials s3cret'), { code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' });
    expect(describeSmtpError(err, { user: 'porta', pass: 's3cret' })).toBe('EAUTH 535 Invalid login: 535 bad credentials ***');
  });
});
