import { InvalidArgumentError, Option, type Command } from 'commander';
import { seg, type AdminApi } from '../api/client.js';
import { apiAction } from '../api/session.js';
import { dataOf, emit, printLine, printRows, say } from '../output.js';
import { confirm } from '../prompt.js';

interface SigningKey {
  id: string;
  kid: string;
  algorithm: string;
  status: string;
}

interface AlgOptions {
  alg?: string;
}

const ALGORITHMS = ['RS256', 'ES256'];

/** `--alg rs256` means RS256. */
function algorithm(value: string): string {
  const upper = value.trim().toUpperCase();
  if (!ALGORITHMS.includes(upper)) throw new InvalidArgumentError(`must be ${ALGORITHMS.join(' or ')}`);
  return upper;
}

const algOption = (what: string) => new Option('--alg <algorithm>', what).argParser(algorithm);

/** Active keys newest first, grouped by algorithm: the first of each group signs. */
function activeByAlgorithm(list: SigningKey[]): Map<string, SigningKey[]> {
  const groups = new Map<string, SigningKey[]>();
  for (const key of list.filter((k) => k.status === 'active')) groups.set(key.algorithm, [...(groups.get(key.algorithm) ?? []), key]);
  return groups;
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

const listKeys = async (api: AdminApi) => dataOf<SigningKey[]>(await api.get('/keys'));

/** `porta keys …` (spec 30 §6) through `/api/admin/keys` (spec 20 §5.8). */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('list, generate, rotate or revoke the signing keys');

  keys
    .command('list')
    .description('every signing key, newest first')
    .action(
      apiAction(async (api, g) => {
        const body = await api.get('/keys');
        emit(g, body, () => printRows(dataOf<SigningKey[]>(body), ['kid', 'status', 'algorithm', 'activatedAt', 'retiredAt', 'revokedAt', 'createdAt']));
      }),
    );

  keys
    .command('generate')
    .description('add a new active key; it signs new tokens of its algorithm, older active keys still verify')
    .addOption(algOption('RS256 (2048-bit RSA, the default; also signs PS256) or ES256 (P-256)'))
    .action(
      apiAction<AlgOptions>(async (api, g, _args, o) => {
        const body = await api.post('/keys/generate', o.alg ? { algorithm: o.alg } : {});
        emit(g, body, () => printLine(dataOf<{ message: string }>(body).message));
      }),
    );

  keys
    .command('rotate')
    .description('retire every active key except the newest of its algorithm (asks first)')
    .addOption(algOption('rotate only the keys of this algorithm (default: each algorithm)'))
    .action(
      apiAction<AlgOptions>(async (api, g, _args, o) => {
        const groups = [...activeByAlgorithm(await listKeys(api))].filter(([algorithm]) => !o.alg || algorithm === o.alg);
        const older = groups.flatMap(([, [, ...rest]]) => rest);
        if (older.length > 0) {
          const ttl = await longestTokenTtl(api);
          const keeping = groups.map(([algorithm, [newest]]) => `${newest?.kid} (${algorithm})`).join(', ');
          await confirm(
            g,
            `This retires ${older.length} active key(s): ${older.map((k) => k.kid).join(', ')}; ${keeping} keep(s) signing.\n` +
              `Tokens signed by a retired key are rejected: run this only once the longest token TTL${ttl === null ? '' : ` (${describeSeconds(ttl)})`} ` +
              'has passed since the newest key was generated.',
          );
        }
        const body = await api.post('/keys/rotate', o.alg ? { algorithm: o.alg } : {});
        emit(g, body, () => printLine(dataOf<{ message: string }>(body).message));
      }),
    );

  keys
    .command('revoke <kid>')
    .description('mark a key compromised: it stops verifying at once (asks first)')
    .action(
      apiAction(async (api, g, [kid]) => {
        const list = await listKeys(api);
        const target = list.find((k) => k.kid === kid || k.id === kid);
        const isLastActive = target?.status === 'active' && activeByAlgorithm(list).get(target.algorithm)?.length === 1;
        // Unknown, already revoked or the last active key of its algorithm: the API refuses without a question.
        if (target && target.status !== 'revoked' && !isLastActive) {
          await confirm(g, `Revoke ${target.algorithm} signing key ${target.kid} (${target.status})? Every token it signed stops verifying at once.`);
        }
        await api.post(`/keys/${seg(kid!)}/revoke`);
        say(g, `Revoked signing key ${target?.kid ?? kid}.`);
      }),
    );
}
