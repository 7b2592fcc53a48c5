import type { Command } from 'commander';
import { CliError, EXIT } from '../context.js';
import { printText } from '../output.js';

function longFlags(cmd: Command): string[] {
  return cmd.options.map((o) => o.long).filter((f): f is string => Boolean(f));
}

/** Every command path with the words that may follow it (subcommands and options). */
function paths(cmd: Command, prefix: string[] = []): Array<[string, string[]]> {
  const subs = cmd.commands.filter((c) => c.name() !== 'help');
  const own: [string, string[]] = [prefix.join(' '), [...subs.map((c) => c.name()), ...longFlags(cmd), '--help']];
  return [own, ...subs.flatMap((c) => paths(c, [...prefix, c.name()]))];
}

/** Bash completion generated from the command tree; zsh loads it through bashcompinit. */
export function completionScript(program: Command, shell: string): string {
  if (shell !== 'bash' && shell !== 'zsh') throw new CliError('The shell is bash or zsh.', EXIT.usage);
  const globals = longFlags(program).join(' ');
  const cases = paths(program)
    .map(([path, words]) => `    "${path}") words="${words.join(' ')}" ;;`)
    .join('\n');
  const script = `# porta ${shell} completion: eval "$(porta completion ${shell})"
_porta() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" words="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) path="\${path:+$path }\${COMP_WORDS[i]}" ;; esac
  done
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words ${globals}" -- "$cur"))
}
complete -F _porta porta
`;
  return shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${script}` : script;
}

/** `porta completion [bash|zsh]` (spec 30 §2). */
export function registerCompletion(program: Command): void {
  program
    .command('completion [shell]')
    .description('print a bash or zsh completion script: eval "$(porta completion bash)"')
    .action((shell: string | undefined) => {
      printText(completionScript(program, shell ?? (process.env.SHELL?.endsWith('zsh') ? 'zsh' : 'bash')));
    });
}
