import { createInterface } from 'node:readline';

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
