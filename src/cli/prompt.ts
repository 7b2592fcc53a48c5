import { createInterface } from 'node:readline';
import { CliError, EXIT, type GlobalOptions } from './context.js';

/** Reads one line from the terminal; with `isHidden` the typed characters are not echoed. */
export function ask(question: string, options: { isHidden?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const output = rl as unknown as { _writeToOutput?: (s: string) => void };
    if (options.isHidden) {
      // readline echoes through _writeToOutput; print the prompt once, then nothing of what is typed.
      output._writeToOutput = (s: string) => {
        if (s.includes(question)) process.stderr.write(question);
      };
    }
    rl.question(question, (answer) => {
      rl.close();
      if (options.isHidden) process.stderr.write('\n');
      resolve(answer);
    });
    rl.once('SIGINT', () => {
      rl.close();
      reject(new Error('Cancelled.'));
    });
  });
}

async function askYesNo(question: string): Promise<void> {
  const answer = await ask(`${question}\nContinue? [y/N] `);
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('Cancelled.', EXIT.usage);
}

/**
 * Asks y/N on a terminal; `--force` skips it. Without a terminal (a script, `docker exec` without `-it`)
 * the command runs as written: the deployment guide's commands must work non-interactively.
 */
export async function confirm(g: GlobalOptions, question: string): Promise<void> {
  if (g.force) return;
  if (!process.stdin.isTTY) {
    // What the question would have said is still worth reading in a log.
    process.stderr.write(`${question}\n`);
    return;
  }
  await askYesNo(question);
}

/** For what cannot be undone (purging a user, rolling a migration back): a terminal's yes, or `--force`. */
export async function confirmIrreversible(g: GlobalOptions, question: string): Promise<void> {
  if (g.force) return;
  if (!process.stdin.isTTY) throw new CliError(`${question}\nThis cannot be undone: pass --force to do it without a terminal.`, EXIT.usage);
  await askYesNo(question);
}
