/**
 * Logging to stderr with a level. Lines are "LEVEL message"; under systemd the journal adds the time.
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const at = ORDER[level];
  const mk = (l: LogLevel) => (ORDER[l] <= at ? (msg: string) => write(`${l.toUpperCase().padEnd(5)} ${msg}`) : () => {});
  return { error: mk('error'), warn: mk('warn'), info: mk('info'), debug: mk('debug') };
}
