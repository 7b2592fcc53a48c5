import { confirm } from '../context.js';
import type { AdminApi } from '../http/api.js';
import type { CliOptions } from '../http/mode.js';
import { dataOf, emit, printRows, say } from '../http/output.js';
import { withApi } from '../http/session.js';

interface SigningKey {
  id: string;
  kid: string;
  status: string;
}

const TOKEN_TTL_KEYS = ['access_token_ttl', 'id_token_ttl', 'refresh_token_ttl'];

/** The longest token TTL in seconds, or null when this admin may not read the configuration. */
async function longestTokenTtl(api: AdminApi): Promise<number | null> {
  try {
    const entries = dataOf<Array<{ key: string; value: unknown }>>(await api.get('/config'));
    return Math.max(0, ...entries.filter((e) => TOKEN_TTL_KEYS.includes(e.key)).map((e) => Number(e.value)).filter(Number.isFinite));
  } catch {
    return null;
  }
}

function describeSeconds(seconds: number): string {
  if (seconds >= 86_400 && seconds % 86_400 === 0) return `${seconds / 86_400} days`;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} hours`;
  return `${seconds} s`;
}

/** `porta keys …` in HTTP mode, through `/api/admin/keys` (spec 20 §5.8). */
export const keysOverHttp = {
  list: (g: CliOptions) =>
    withApi(g, async (api) => {
      const body = await api.get('/keys');
      emit(g, body, () => printRows(dataOf<SigningKey[]>(body), ['kid', 'status', 'algorithm', 'activatedAt', 'retiredAt', 'revokedAt', 'createdAt']));
    }),

  generate: (g: CliOptions) =>
    withApi(g, async (api) => {
      const body = await api.post('/keys/generate');
      emit(g, body, () => process.stdout.write(`${dataOf<{ message: string }>(body).message}\n`));
    }),

  rotate: (g: CliOptions) =>
    withApi(g, async (api) => {
      const active = dataOf<SigningKey[]>(await api.get('/keys')).filter((k) => k.status === 'active');
      const [newest, ...older] = active;
      if (older.length > 0) {
        const ttl = await longestTokenTtl(api);
        await confirm(
          g,
          `This retires ${older.length} active key(s): ${older.map((k) => k.kid).join(', ')}; ${newest?.kid} keeps signing.\n` +
            `Tokens signed by a retired key are rejected: run this only once the longest token TTL${ttl === null ? '' : ` (${describeSeconds(ttl)})`} ` +
            'has passed since the newest key was generated.',
        );
      }
      const body = await api.post('/keys/rotate');
      emit(g, body, () => process.stdout.write(`${dataOf<{ message: string }>(body).message}\n`));
    }),

  revoke: (g: CliOptions, kid: string) =>
    withApi(g, async (api) => {
      const target = dataOf<SigningKey[]>(await api.get('/keys')).find((k) => k.kid === kid || k.id === kid);
      if (target && target.status !== 'revoked') await confirm(g, `Revoke signing key ${target.kid} (${target.status})? Every token it signed stops verifying at once.`);
      await api.post(`/keys/${encodeURIComponent(kid)}/revoke`);
      say(g, `Revoked signing key ${target?.kid ?? kid}.`);
    }),
};
