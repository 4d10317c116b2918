// Diagnostics: every problem the config engine finds, with a stable code and a position.

export type Severity = 'error' | 'warning';

/** A place in a source file; line and column are 1-based. */
export interface Pos {
  file: string;
  line: number;
  column: number;
}

export interface Related extends Pos {
  message: string;
}

export interface Diagnostic extends Pos {
  severity: Severity;
  code: string;
  message: string;
  /** A fix the user can apply, e.g. the keyword they probably meant. */
  suggestion?: string;
  /** Other places involved (the first definition of a duplicate, the peer's file in a cluster check). */
  related?: Related[];
}

/** Collects diagnostics; checks add to it instead of throwing. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];

  add(severity: Severity, code: string, pos: Pos, message: string, extra: Partial<Diagnostic> = {}): void {
    this.items.push({ severity, code, file: pos.file, line: pos.line, column: pos.column, message, ...extra });
  }
  error(code: string, pos: Pos, message: string, extra: Partial<Diagnostic> = {}): void {
    this.add('error', code, pos, message, extra);
  }
  warn(code: string, pos: Pos, message: string, extra: Partial<Diagnostic> = {}): void {
    this.add('warning', code, pos, message, extra);
  }
  get errors(): number {
    let n = 0;
    for (const d of this.items) if (d.severity === 'error') n++;
    return n;
  }
  get warnings(): number {
    return this.items.length - this.errors;
  }
  /** Diagnostics in file/line/column order, as a reader goes through the config. */
  sorted(): Diagnostic[] {
    // Equal strings skip localeCompare: a big config has one file and many diagnostics of one code.
    const cmp = (x: string, y: string) => (x === y ? 0 : x.localeCompare(y));
    return [...this.items].sort((a, b) => cmp(a.file, b.file) || a.line - b.line || a.column - b.column || cmp(a.code, b.code));
  }
}
