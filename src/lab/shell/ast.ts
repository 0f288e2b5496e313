/**
 * Syntax tree of the lab shell (a practical subset of bash).
 */

/** How a piece of a word was quoted: 0 bare, 1 single/ANSI-C/backslash (literal), 2 double quotes. */
export type Quote = 0 | 1 | 2;

/** One piece of a word before expansion. */
export type WordPart =
  | { k: 'lit'; v: string; q: Quote }
  | { k: 'var'; name: string; q: Quote; op?: string; arg?: string }
  | { k: 'cmd'; src: string; q: Quote }
  | { k: 'arith'; src: string; q: Quote };

/** A word: the pieces that are concatenated into one (or, after splitting, several) arguments. */
export type Word = WordPart[];

/** A redirection, e.g. `2>&1`, `>> file`, `<<EOF`. */
export interface Redir {
  fd: number;
  op: '>' | '>>' | '<' | '>&' | '<&' | '&>' | '&>>' | '<<' | '<<<' | '<>';
  target: Word;
  /** Here-document body and whether it is expanded (unquoted delimiter). */
  heredoc?: { body: string; expand: boolean; strip: boolean; delim: string };
}

/** `NAME=value` before a command (or alone). */
export interface Assign {
  name: string;
  value: Word;
  append: boolean;
}

/** A simple command. */
export interface SimpleCmd {
  k: 'simple';
  assigns: Assign[];
  words: Word[];
  redirs: Redir[];
}
/** `( list )`. */
export interface SubshellCmd {
  k: 'subshell';
  body: List;
  redirs: Redir[];
}
/** `{ list; }`. */
export interface GroupCmd {
  k: 'group';
  body: List;
  redirs: Redir[];
}
/** `if ...; then ...; elif ...; else ...; fi`. */
export interface IfCmd {
  k: 'if';
  clauses: { cond: List; body: List }[];
  otherwise?: List;
  redirs: Redir[];
}
/** `for NAME in words; do ...; done`. */
export interface ForCmd {
  k: 'for';
  name: string;
  items: Word[] | null;
  body: List;
  redirs: Redir[];
}
/** `while|until list; do ...; done`. */
export interface WhileCmd {
  k: 'while';
  until: boolean;
  cond: List;
  body: List;
  redirs: Redir[];
}
/** `name() { ...; }`. */
export interface FuncDef {
  k: 'func';
  name: string;
  body: Command;
  redirs: Redir[];
}
/** Any command. */
export type Command = SimpleCmd | SubshellCmd | GroupCmd | IfCmd | ForCmd | WhileCmd | FuncDef;

/** `a | b | c`, optionally negated with `!`. */
export interface Pipeline {
  neg: boolean;
  cmds: Command[];
}
/** `a && b || c`. */
export interface AndOr {
  first: Pipeline;
  rest: { op: '&&' | '||'; p: Pipeline }[];
}
/** A list of and-or lists, each run in the foreground or (trailing `&`) in the background. */
export interface List {
  /** nl: the item ended with a newline (an arithmetic error discards the rest of its line only). */
  items: { cmd: AndOr; bg: boolean; nl?: boolean }[];
}
