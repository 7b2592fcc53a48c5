import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { completionScript } from './completion.js';

function program(): Command {
  const p = new Command('porta').option('--json');
  const org = p.command('org');
  org.command('create').option('--name <name>').option('--slug <slug>');
  org.command('list');
  return p;
}

describe('porta completion', () => {
  it('offers each command path its subcommands and options, plus the global options', () => {
    const script = completionScript(program(), 'bash');
    expect(script).toContain('    "") words="org --json --help" ;;');
    expect(script).toContain('    "org") words="create list --help" ;;');
    expect(script).toContain('    "org create") words="--name --slug --help" ;;');
    expect(script).toContain('compgen -W "$words --json"');
    expect(script).toMatch(/complete -F _porta porta\n$/);
  });

  it('wraps the same script for zsh and refuses other shells', () => {
    expect(completionScript(program(), 'zsh')).toMatch(/^autoload -U \+X bashcompinit && bashcompinit\n# porta zsh completion/);
    expect(() => completionScript(program(), 'fish')).toThrow(/bash or zsh/);
  });
});
