/**
 * docker/entrypoint.sh and porta.sh, run as plain shell scripts (no Docker engine needed):
 * _FILE secrets, waiting for TCP listeners, auto-migration, exec; porta.sh argument rewriting.
 * Each script runs under /bin/sh and, when installed, under busybox sh (the image's shell).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_VARIABLES } from '../../src/config/env-files.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const entrypoint = path.join(root, 'docker', 'entrypoint.sh');
const portaSh = path.join(root, 'porta.sh');
const systemPath = `${path.dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

function which(command: string): string | undefined {
  const found = spawnSync('/bin/sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() !== '' ? found.stdout.trim() : undefined;
}

const busybox = which('busybox');
const busyboxWorks = busybox !== undefined && spawnSync(busybox, ['sh', '-c', 'exit 0']).status === 0;
const shells: Array<{ name: string; argv: string[]; skip?: string }> = [
  { name: '/bin/sh', argv: ['/bin/sh'] },
  busyboxWorks
    ? { name: 'busybox sh', argv: [busybox as string, 'sh'] }
    : { name: 'busybox sh', argv: [], skip: 'busybox is not installed (apt-get install busybox)' },
];
const scriptCmd = which('script');
const hasUtilLinuxScript =
  scriptCmd !== undefined && /util-linux/.test(spawnSync(scriptCmd, ['--version'], { encoding: 'utf8' }).stdout ?? '');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number | undefined;
  ms: number;
}

interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
  onStdout?: (stdout: string, child: ChildProcess) => void;
}

/**
 * Runs a process with a clean environment (only PATH + `env`). It gets its own process group, which is
 * SIGKILLed after `timeoutMs` (default 15 s), so nothing it started can outlive the test or hang it.
 */
function run(file: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: root,
      env: { PATH: systemPath, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(killGroup, options.timeoutMs ?? 15_000);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup();
      resolve({ code, signal, stdout, stderr, pid: child.pid, ms: Date.now() - started });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** `node -e` printing the named variables as a JSON array (null when unset). */
function printEnv(...names: string[]): string[] {
  return ['node', '-e', `process.stdout.write(JSON.stringify(${JSON.stringify(names)}.map((n) => process.env[n] ?? null)))`];
}

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

/** A TCP listener that accepts and drops connections. */
function tcpServer(): net.Server {
  return net.createServer((socket) => socket.destroy());
}

/** A port that was free a moment ago (nothing listens on it). */
async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = tcpServer();
  const port = await listen(server, 0, host);
  await close(server);
  return port;
}

const canListenIpv6 = await (async () => {
  const server = tcpServer();
  try {
    await listen(server, 0, '::1');
    return true;
  } catch {
    return false;
  } finally {
    await close(server);
  }
})();

let tmpRoot = '';
beforeAll(() => {
  tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'porta-entrypoint-'));
});
afterAll(() => {
  if (tmpRoot !== '') rmSync(tmpRoot, { recursive: true, force: true });
});

function tempDir(): string {
  return mkdtempSync(path.join(tmpRoot, 't-'));
}

function writeScript(file: string, body: string): string {
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

for (const shell of shells) {
  const title = shell.skip === undefined ? shell.name : `${shell.name} (skipped: ${shell.skip})`;

  describe.skipIf(shell.skip !== undefined)(`docker/entrypoint.sh under ${title}`, () => {
    const entry = (command: string[], options: RunOptions = {}) =>
      run(shell.argv[0] as string, [...shell.argv.slice(1), entrypoint, ...command], options);

    describe('_FILE secrets', () => {
      it('passes the file content to the command with one trailing newline removed and unsets _FILE', async () => {
        const dir = tempDir();
        writeFileSync(path.join(dir, 'lf'), 'cookie-secret-value\n');
        writeFileSync(path.join(dir, 'crlf'), 'smtp-secret-value\r\n');
        writeFileSync(path.join(dir, 'two'), 'two-newlines\n\n');
        writeFileSync(path.join(dir, 'none'), 'no-newline');
        const r = await entry(printEnv('COOKIE_KEYS', 'SMTP_PASS', 'SIGNING_KEY_ENCRYPTION_KEY', 'PORTA_BOOTSTRAP_ADMIN_PASSWORD', 'COOKIE_KEYS_FILE', 'SMTP_PASS_FILE'), {
          env: {
            COOKIE_KEYS_FILE: path.join(dir, 'lf'),
            SMTP_PASS_FILE: path.join(dir, 'crlf'),
            SIGNING_KEY_ENCRYPTION_KEY_FILE: path.join(dir, 'two'),
            PORTA_BOOTSTRAP_ADMIN_PASSWORD_FILE: path.join(dir, 'none'),
          },
        });
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual(['cookie-secret-value', 'smtp-secret-value', 'two-newlines\n', 'no-newline', null, null]);
      });

      it('lets _FILE win over a plain value and warns naming the variable, never a value', async () => {
        const dir = tempDir();
        writeFileSync(path.join(dir, 'key'), 'value-from-file-1234\n');
        const r = await entry(printEnv('TWO_FACTOR_ENCRYPTION_KEY'), {
          env: { TWO_FACTOR_ENCRYPTION_KEY: 'value-from-env-5678', TWO_FACTOR_ENCRYPTION_KEY_FILE: path.join(dir, 'key') },
        });
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual(['value-from-file-1234']);
        expect(r.stderr).toMatch(/warning: both TWO_FACTOR_ENCRYPTION_KEY and TWO_FACTOR_ENCRYPTION_KEY_FILE are set; using TWO_FACTOR_ENCRYPTION_KEY_FILE/);
        expect(r.stderr).not.toContain('value-from-env-5678');
        expect(r.stderr).not.toContain('value-from-file-1234');
      });

      it('ignores an empty _FILE variable', async () => {
        const r = await entry(printEnv('SMTP_USER', 'SMTP_USER_FILE'), { env: { SMTP_USER: 'mailer', SMTP_USER_FILE: '' } });
        expect(r.code).toBe(0);
        expect(r.stderr).toBe('');
        expect(JSON.parse(r.stdout)).toEqual(['mailer', null]);
      });

      it('exits 1 naming variable and path when the file is missing, without leaking values or starting', async () => {
        const missing = path.join(tempDir(), 'no-such-secret');
        const r = await entry(['sh', '-c', 'echo started'], { env: { SMTP_PASS: 'plain-secret-9876', SMTP_PASS_FILE: missing } });
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toContain('SMTP_PASS_FILE');
        expect(r.stderr).toContain(missing);
        expect(r.stderr).not.toContain('plain-secret-9876');
      });

      it('exits 1 for an empty file or one holding only a newline', async () => {
        const dir = tempDir();
        writeFileSync(path.join(dir, 'empty'), '');
        writeFileSync(path.join(dir, 'newline'), '\n');
        for (const name of ['empty', 'newline']) {
          const file = path.join(dir, name);
          const r = await entry(['sh', '-c', 'echo started'], { env: { COOKIE_KEYS: 'plain-cookie-key-4321', COOKIE_KEYS_FILE: file } });
          expect(r.code).toBe(1);
          expect(r.stdout).toBe('');
          expect(r.stderr).toMatch(/COOKIE_KEYS_FILE: .* is empty/);
          expect(r.stderr).toContain(file);
          expect(r.stderr).not.toContain('plain-cookie-key-4321');
        }
      });

      it('exits 1 when the path is a directory', async () => {
        const dir = tempDir();
        const r = await entry(['sh', '-c', 'echo started'], { env: { REDIS_URL_FILE: dir } });
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toContain('REDIS_URL_FILE');
        expect(r.stderr).toContain(dir);
      });

      it.skipIf(isRoot)('exits 1 when the file is unreadable (skipped as root: root reads any file)', async () => {
        const file = path.join(tempDir(), 'locked');
        writeFileSync(file, 'locked-secret-value\n');
        chmodSync(file, 0o000);
        const r = await entry(['sh', '-c', 'echo started'], { env: { SMTP_PASS_FILE: file } });
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toContain('SMTP_PASS_FILE');
        expect(r.stderr).toContain(file);
        expect(r.stderr).not.toContain('locked-secret-value');
      });
    });

    describe('waiting for Redis and PostgreSQL', () => {
      it('passes at once when both accept connections, Redis first, without printing credentials', async () => {
        const redis = tcpServer();
        const postgres = tcpServer();
        try {
          const redisPort = await listen(redis, 0, '127.0.0.1');
          const pgPort = await listen(postgres, 0, '127.0.0.1');
          const dir = tempDir();
          // DATABASE_URL through _FILE: the resolved value is what the wait uses.
          writeFileSync(path.join(dir, 'db'), `postgresql://porta:db-secret%40pw@127.0.0.1:${pgPort}/porta?sslmode=disable\n`);
          const r = await entry(['sh', '-c', 'echo started'], {
            env: { DATABASE_URL_FILE: path.join(dir, 'db'), REDIS_URL: `redis://:redis-secret-pw@127.0.0.1:${redisPort}/0` },
          });
          expect(r.code).toBe(0);
          expect(r.stdout).toBe('started\n');
          expect(r.ms).toBeLessThan(5_000);
          const redisAt = r.stderr.indexOf(`redis at 127.0.0.1:${redisPort} is accepting connections`);
          const pgAt = r.stderr.indexOf(`postgres at 127.0.0.1:${pgPort} is accepting connections`);
          expect(redisAt).toBeGreaterThanOrEqual(0);
          expect(pgAt).toBeGreaterThan(redisAt);
          expect(r.stderr).not.toMatch(/secret/);
        } finally {
          await close(redis);
          await close(postgres);
        }
      });

      it.skipIf(!canListenIpv6)('understands [IPv6] hosts and rediss:// (skipped when ::1 is unavailable)', async () => {
        const server = tcpServer();
        try {
          const port = await listen(server, 0, '::1');
          const r = await entry(['sh', '-c', 'echo started'], {
            env: { REDIS_URL: `rediss://default:pw@[::1]:${port}`, DATABASE_URL: `postgresql://porta:pw@[::1]:${port}/porta?sslmode=require` },
          });
          expect(r.code).toBe(0);
          expect(r.stdout).toBe('started\n');
          expect(r.stderr).toContain(`redis at [::1]:${port} is accepting connections`);
          expect(r.stderr).toContain(`postgres at [::1]:${port} is accepting connections`);
        } finally {
          await close(server);
        }
      });

      it('uses the default ports 6379 and 5432 when the URL has none', async () => {
        const host = 'porta-entrypoint-test.invalid';
        const redis = await entry(['sh', '-c', 'echo started'], { env: { REDIS_URL: `rediss://:pw-redis@${host}?db=0`, PORTA_WAIT_TIMEOUT: '1' } });
        expect(redis.code).toBe(1);
        expect(redis.stdout).toBe('');
        expect(redis.stderr).toContain(`redis at ${host}:6379`);
        expect(redis.stderr).not.toContain('pw-redis');
        const pg = await entry(['sh', '-c', 'echo started'], { env: { DATABASE_URL: `postgresql://porta:pw-pg@${host}/porta`, PORTA_WAIT_TIMEOUT: '1' } });
        expect(pg.code).toBe(1);
        expect(pg.stdout).toBe('');
        expect(pg.stderr).toContain(`postgres at ${host}:5432`);
        expect(pg.stderr).not.toContain('pw-pg');
      });

      it('gives up after PORTA_WAIT_TIMEOUT seconds on a closed port with exit 1', async () => {
        const port = await freePort();
        const r = await entry(['sh', '-c', 'echo started'], {
          env: { DATABASE_URL: `postgresql://porta:pw@127.0.0.1:${port}/porta`, PORTA_WAIT_TIMEOUT: '2' },
        });
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.ms).toBeLessThan(6_000);
        expect(r.stderr).toContain(`waiting for postgres at 127.0.0.1:${port} (attempt 1`);
        expect(r.stderr).toContain(`postgres at 127.0.0.1:${port} did not accept TCP connections within 2 s (PORTA_WAIT_TIMEOUT)`);
      });

      it('waits for a listener that starts later, then runs the command', async () => {
        const port = await freePort();
        const server = tcpServer();
        const late = setTimeout(() => void listen(server, port, '127.0.0.1').catch(() => undefined), 1_500);
        try {
          const r = await entry(['sh', '-c', 'echo started'], {
            env: { DATABASE_URL: `postgresql://porta:pw@127.0.0.1:${port}/porta`, PORTA_WAIT_TIMEOUT: '10' },
          });
          expect(r.stderr).toContain(`waiting for postgres at 127.0.0.1:${port}`);
          expect(r.stderr).toContain(`postgres at 127.0.0.1:${port} is accepting connections`);
          expect(r.code).toBe(0);
          expect(r.stdout).toBe('started\n');
          expect(r.ms).toBeGreaterThanOrEqual(1_400);
          expect(r.ms).toBeLessThan(8_000);
        } finally {
          clearTimeout(late);
          await close(server);
        }
      });

      it('does not wait with PORTA_WAIT_TIMEOUT=0 and rejects a non-numeric timeout', async () => {
        const port = await freePort();
        const url = `postgresql://porta:pw@127.0.0.1:${port}/porta`;
        const skipped = await entry(['sh', '-c', 'echo started'], { env: { DATABASE_URL: url, PORTA_WAIT_TIMEOUT: '0' } });
        expect(skipped.code).toBe(0);
        expect(skipped.stdout).toBe('started\n');
        const invalid = await entry(['sh', '-c', 'echo started'], { env: { DATABASE_URL: url, PORTA_WAIT_TIMEOUT: 'soon' } });
        expect(invalid.code).toBe(1);
        expect(invalid.stdout).toBe('');
        expect(invalid.stderr).toContain('PORTA_WAIT_TIMEOUT must be a whole number');
      });

      it('does not wait when neither URL is set', async () => {
        const r = await entry(['sh', '-c', 'echo started']);
        expect(r.code).toBe(0);
        expect(r.stdout).toBe('started\n');
        expect(r.stderr).toBe('');
      });
    });

    describe('auto-migration', () => {
      function fakePorta(exitCode: number) {
        const dir = tempDir();
        const bin = path.join(dir, 'bin');
        mkdirSync(bin);
        writeScript(path.join(bin, 'porta'), `printf '%s\\n' "porta $*" >> "$FAKE_LOG"\nexit ${exitCode}`);
        const log = path.join(dir, 'calls.log');
        return { log, env: { PATH: `${bin}:${systemPath}`, FAKE_LOG: log } };
      }
      const server = ['sh', '-c', 'echo server >> "$FAKE_LOG"; echo started'];

      it('runs `porta migrate up` before the command when PORTA_AUTO_MIGRATE=true', async () => {
        const fake = fakePorta(0);
        const r = await entry(server, { env: { ...fake.env, PORTA_AUTO_MIGRATE: 'true' } });
        expect(r.code).toBe(0);
        expect(r.stdout).toBe('started\n');
        expect(readFileSync(fake.log, 'utf8')).toBe('porta migrate up\nserver\n');
      });

      it('stops the start with a non-zero exit when the migration fails', async () => {
        const fake = fakePorta(3);
        const r = await entry(server, { env: { ...fake.env, PORTA_AUTO_MIGRATE: 'true' } });
        expect(r.code).not.toBe(0);
        expect(r.stdout).toBe('');
        expect(r.stderr).toContain('porta migrate up failed');
        expect(readFileSync(fake.log, 'utf8')).toBe('porta migrate up\n');
      });

      it('does not migrate unless PORTA_AUTO_MIGRATE=true', async () => {
        for (const value of [undefined, 'false', '']) {
          const fake = fakePorta(0);
          const env: Record<string, string> = value === undefined ? fake.env : { ...fake.env, PORTA_AUTO_MIGRATE: value };
          const r = await entry(server, { env });
          expect(r.code).toBe(0);
          expect(readFileSync(fake.log, 'utf8')).toBe('server\n');
        }
      });
    });

    describe('exec', () => {
      it('replaces the shell: same pid, exit code propagates', async () => {
        const r = await entry(['sh', '-c', 'echo $$; exit 7']);
        expect(r.code).toBe(7);
        expect(Number(r.stdout.trim())).toBe(r.pid);
      });

      it('delivers SIGTERM to the command itself', async () => {
        let signalled = false;
        const r = await entry(
          ['node', '-e', "process.on('SIGTERM', () => { process.stdout.write('term'); process.exit(0); }); process.stdout.write('ready'); setTimeout(() => process.exit(99), 8000);"],
          {
            timeoutMs: 10_000,
            onStdout: (stdout, child) => {
              if (!signalled && stdout.includes('ready')) {
                signalled = true;
                child.kill('SIGTERM');
              }
            },
          },
        );
        expect(r.stdout).toBe('readyterm');
        expect(r.code).toBe(0);
      });
    });
  });

  describe.skipIf(shell.skip !== undefined)(`porta.sh under ${title}`, () => {
    function fakeDocker() {
      const dir = tempDir();
      const bin = path.join(dir, 'bin');
      mkdirSync(bin);
      writeScript(
        path.join(bin, 'docker'),
        [
          `printf '%s\\0' "$@" > "$FAKE_DOCKER_DIR/args"`,
          // Read stdin only when docker would forward it without a TTY.
          `case " $* " in *" -i "*) cat > "$FAKE_DOCKER_DIR/stdin" ;; esac`,
        ].join('\n'),
      );
      const argsOf = () => readFileSync(path.join(dir, 'args'), 'utf8').split('\0').slice(0, -1);
      const stdinOf = () => (existsSync(path.join(dir, 'stdin')) ? readFileSync(path.join(dir, 'stdin'), 'utf8') : undefined);
      return { dir, env: { PATH: `${bin}:${systemPath}`, FAKE_DOCKER_DIR: dir }, argsOf, stdinOf };
    }
    const portaRun = (args: string[], options: RunOptions) =>
      run(shell.argv[0] as string, [...shell.argv.slice(1), portaSh, ...args], options);

    it('pipes a host file given with -f through stdin and passes "-"', async () => {
      const docker = fakeDocker();
      const file = path.join(docker.dir, 'provision file.yaml');
      writeFileSync(file, 'organizations:\n  - slug: acme\n');
      const r = await portaRun(['provision', '-f', file, '--dry-run'], { env: docker.env });
      expect(r.code).toBe(0);
      expect(docker.argsOf()).toEqual(['exec', '-i', 'porta-app', 'porta', 'provision', '-f', '-', '--dry-run']);
      expect(docker.stdinOf()).toBe('organizations:\n  - slug: acme\n');
    });

    it('rewrites --file=<host file> too', async () => {
      const docker = fakeDocker();
      const file = path.join(docker.dir, 'manifest.json');
      writeFileSync(file, '{"version":1}');
      const r = await portaRun(['import', `--file=${file}`, '--mode', 'merge'], { env: docker.env });
      expect(r.code).toBe(0);
      expect(docker.argsOf()).toEqual(['exec', '-i', 'porta-app', 'porta', 'import', '--file=-', '--mode', 'merge']);
      expect(docker.stdinOf()).toBe('{"version":1}');
    });

    it('keeps arguments intact and adds no -i/-t without a terminal', async () => {
      const docker = fakeDocker();
      const r = await portaRun(['org', 'create', '--name', 'Acme Corp', '--description', ''], { env: docker.env, input: 'ignored' });
      expect(r.code).toBe(0);
      expect(docker.argsOf()).toEqual(['exec', 'porta-app', 'porta', 'org', 'create', '--name', 'Acme Corp', '--description', '']);
      expect(docker.stdinOf()).toBeUndefined();
    });

    it('passes a -f path that is not a host file unchanged', async () => {
      const docker = fakeDocker();
      const r = await portaRun(['import', '-f', '/data/in-container.json'], { env: docker.env });
      expect(r.code).toBe(0);
      expect(docker.argsOf()).toEqual(['exec', 'porta-app', 'porta', 'import', '-f', '/data/in-container.json']);
    });

    it('forwards piped stdin for -f -', async () => {
      const docker = fakeDocker();
      const r = await portaRun(['import', '-f', '-'], { env: docker.env, input: '{"piped":true}' });
      expect(r.code).toBe(0);
      expect(docker.argsOf()).toEqual(['exec', '-i', 'porta-app', 'porta', 'import', '-f', '-']);
      expect(docker.stdinOf()).toBe('{"piped":true}');
    });

    it('honours PORTA_CONTAINER_NAME', async () => {
      const docker = fakeDocker();
      const r = await portaRun(['keys', 'list'], { env: { ...docker.env, PORTA_CONTAINER_NAME: 'porta-staging' } });
      expect(r.code).toBe(0);
      expect(docker.argsOf()).toEqual(['exec', 'porta-staging', 'porta', 'keys', 'list']);
    });

    it.skipIf(!hasUtilLinuxScript)('uses -it on a terminal (skipped without util-linux script)', async () => {
      const docker = fakeDocker();
      const command = [...shell.argv, portaSh, 'whoami'].map((a) => `'${a}'`).join(' ');
      const r = await run(scriptCmd as string, ['-qec', command, '/dev/null'], { env: docker.env });
      expect(r.code).toBe(0);
      expect(docker.argsOf()).toEqual(['exec', '-it', 'porta-app', 'porta', 'whoami']);
    });
  });
}

describe('docker/entrypoint.sh and the server agree on the variables', () => {
  it('resolves _FILE for exactly the variables the server reads (src/config/env-files.ts)', () => {
    const list = /PORTA_ENTRYPOINT_VARIABLES='([^']*)'/.exec(readFileSync(entrypoint, 'utf8'))?.[1] ?? '';
    expect(list.split(/\s+/).filter(Boolean).sort()).toEqual([...SERVER_VARIABLES].sort());
  });
});
