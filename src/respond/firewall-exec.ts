/**
 * Running the firewall programs: for real (argument arrays through spawnSync, never a shell; optionally inside a
 * network namespace for tests) or recorded (the dry run).
 *
 * Commands run synchronously and in order: each takes a few milliseconds, actions are rare, and it keeps the
 * firewall in step with the store without a queue.
 */
import { spawnSync } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one program with an argument array and optional stdin. */
export interface CommandRunner {
  run(cmd: string, args: string[], input?: string): CommandResult;
}

/**
 * Runs commands on this machine; with `netns`, inside that network namespace (`ip netns exec NAME …`, for
 * tests). Never through a shell.
 */
export function systemRunner(netns?: string, timeoutMs = 15000): CommandRunner {
  return {
    run(cmd, args, input) {
      const [file, argv] = netns === undefined ? [cmd, args] : ['ip', ['netns', 'exec', netns, cmd, ...args]];
      const r = spawnSync(file, argv, { input, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
      if (r.error !== undefined) {
        const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
        return { code: -1, stdout: '', stderr: missing ? `${file} is not installed` : r.error.message };
      }
      return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
  };
}

/** A command the dry-run backend would have run. */
export interface RecordedCommand {
  cmd: string;
  args: string[];
  /** the script it would have read on stdin */
  input?: string;
}

/** Keeps the newest `cap` commands (and counts all), succeeding without running anything. */
export class RecordingRunner implements CommandRunner {
  readonly commands: RecordedCommand[] = [];
  /** every command recorded, including ones no longer kept */
  total = 0;
  constructor(private readonly cap = 1000) {}

  run(cmd: string, args: string[], input?: string): CommandResult {
    this.total++;
    this.commands.push(input === undefined ? { cmd, args: [...args] } : { cmd, args: [...args], input });
    if (this.commands.length > this.cap) this.commands.splice(0, this.commands.length - this.cap);
    return { code: 0, stdout: '', stderr: '' };
  }
}

