// A pseudo-terminal for the interactive wizard tests: a tmux session running one command, read with
// capture-pane and driven with send-keys. Every wait is bounded; the session is always killed.
import { spawnSync } from 'node:child_process';

let seq = 0;

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Tty {
  readonly name = `kawiz${process.pid}_${seq++}`;

  constructor(command: string) {
    // The pane stays after the command ends (sleep), so its last screen and exit status can be read.
    tmux('new-session', '-d', '-s', this.name, '-x', '200', '-y', '50', `${command}; echo KAWIZ-EXIT:$?; sleep 120`);
  }

  screen(): string {
    return tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', this.name);
  }

  /** Waits until `test` holds on the screen; throws with the screen after `ms`. */
  async waitFor(test: (screen: string) => boolean, what: string, ms = 30_000): Promise<string> {
    const end = Date.now() + ms;
    for (let i = 0; i < 1000 && Date.now() < end; i++) {
      const s = this.screen();
      if (test(s)) return s;
      await sleep(150);
    }
    throw new Error(`timed out waiting for ${what}; screen:\n${this.screen()}`);
  }

  type(text: string): void {
    if (text) tmux('send-keys', '-t', this.name, '-l', text);
  }

  keys(...keys: string[]): void {
    tmux('send-keys', '-t', this.name, ...keys);
  }

  kill(): void {
    spawnSync('tmux', ['kill-session', '-t', this.name], { stdio: 'ignore', timeout: 10_000 });
  }
}

export interface Prompt {
  /** Question text after "? ". */
  question: string;
  /** Choices of a select prompt (their first word), with the cursor's index; undefined for text prompts. */
  choices?: string[];
  cursor?: number;
}

/** The prompt waiting for input: the last "? " line of the screen, and its choices if it is a select. */
export function currentPrompt(screen: string): Prompt | undefined {
  const lines = screen.split('\n');
  let at = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i].startsWith('? ')) {
      at = i;
      break;
    }
  }
  if (at < 0) return undefined;
  const question = lines[at].slice(2);
  const choices: string[] = [];
  let cursor: number | undefined;
  for (let i = at + 1; i < lines.length; i++) {
    const m = /^([❯ ]) (\S+)/.exec(lines[i]);
    if (!m) break;
    if (m[1] === '❯') cursor = choices.length;
    choices.push(m[2]);
  }
  return cursor === undefined ? { question } : { question, choices, cursor };
}

/** Lines that record answered prompts. */
export const answeredCount = (screen: string): number => screen.split('\n').filter((l) => l.startsWith('✔ ')).length;
