/**
 * The prompt term list: matching that survives the usual disguises and does not fire on innocent
 * words that merely contain a term ("Scunthorpe", "classic", "therapist").
 *
 * Text and terms go through the same normalisation, then terms are matched as whole words:
 *   - Unicode compatibility forms folded and accents removed ("pörn", "ｐｏｒｎ" → "porn"), a few
 *     letters that do not decompose spelt out (ß → ss, æ → ae, ø → o, ł → l), and the Cyrillic and
 *     Greek letters that look like Latin ones read as Latin ("рorn" with a Cyrillic р);
 *   - lower case; runs of one repeated letter squeezed to one ("pooorn" → "porn", on both sides,
 *     when the squeezed term keeps at least three letters, so "xxx" is never "x");
 *   - simple leetspeak read as letters (0→o 1→i 3→e 4→a 5→s 7→t 8→b @→a $→s !→i |→i), tried
 *     besides the plain reading, so "p0rn" matches while "porn!" still reads as "porn";
 *   - letters spelt out one at a time ("p o r n", "p.o.r.n") read as one word;
 *   - a term of several words also matches them written together ("child porn" → "childporn").
 * A term matches only whole words of the text; a word of a term ending in `*` matches any word
 * that starts with it ("porn*" → "pornographic"). Nothing else is a pattern.
 */
import type { ModerationCategory } from '../../shared/moderation.js';

const SPELLED: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', ł: 'l', ı: 'i', þ: 'th' };
/** Cyrillic and Greek letters that look like Latin ones (after lower-casing). */
const LOOKALIKE: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x', і: 'i', ј: 'j', ѕ: 's',
  α: 'a', β: 'b', ε: 'e', ι: 'i', κ: 'k', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ν: 'v',
};
const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '@': 'a', $: 's', '!': 'i', '|': 'i' };

function fold(text: string): string {
  let s = text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
  s = s.replace(/[ßæœøđðłıþ]/g, (c) => SPELLED[c]!);
  return s.replace(/[\u0370-\u04ff]/g, (c) => LOOKALIKE[c] ?? c);
}

const squeeze = (word: string) => word.replace(/(\p{L})\1+/gu, '$1');
const words = (s: string) => s.split(/[^\p{L}\p{N}]+/u).filter(Boolean);

/** Adds, after each run of three or more one-letter words, the run read as one word ("p o r n" → "porn"). */
function withSpelledOut(ws: string[]): string[][] {
  const out: string[][] = [ws];
  let run: string[] = [];
  const flush = () => {
    if (run.length >= 3) out.push([run.join('')]);
    run = [];
  };
  for (const w of ws) {
    if (w.length === 1) run.push(w);
    else flush();
  }
  flush();
  return out;
}

/** The word sequences a text can be read as: plain, and with leetspeak read as letters; each with spelt-out runs joined. */
export function readings(text: string): string[][] {
  const folded = fold(text);
  const leet = [...folded].map((c) => LEET[c] ?? c).join('');
  const seqs = [words(folded)];
  if (leet !== folded) seqs.push(words(leet));
  return seqs.flatMap(withSpelledOut);
}

export interface CompiledTerm {
  id: string | null;
  term: string;
  category: ModerationCategory;
  parts: Part[];
}

/** One word of a term: as written (normalised), squeezed (repeats made single), and whether any ending is allowed. */
interface Part {
  word: string;
  squeezed: string;
  prefix: boolean;
}
const part = (word: string, prefix: boolean): Part => ({ word, squeezed: squeeze(word), prefix });

/** Normalises a term the way text is normalised (leetspeak in a term is read as letters too). */
export function compileTerm(term: string, category: ModerationCategory, id: string | null = null): CompiledTerm | null {
  const leet = [...fold(term)].map((c) => LEET[c] ?? c).join('');
  const parts = leet
    .split(/[^\p{L}\p{N}*]+/u)
    .map((raw) => part(raw.replace(/\*/g, ''), raw.endsWith('*')))
    .filter((p) => p.word.length > 0);
  return parts.length > 0 ? { id, term, category, parts } : null;
}

/**
 * A word of the text matches a word of a term as written, or with repeated letters squeezed on
 * both sides ("pooorn" → "porn"), but the squeezed form only counts when it keeps three letters or
 * more: "xxx" must not become "x".
 */
function wordMatches(w: string, p: Part): boolean {
  if (p.prefix ? w.startsWith(p.word) : w === p.word) return true;
  if (p.squeezed.length < 3) return false;
  const sq = squeeze(w);
  return p.prefix ? sq.startsWith(p.squeezed) : sq === p.squeezed;
}

function matchesSequence(seq: string[], t: CompiledTerm): boolean {
  const n = t.parts.length;
  for (let i = 0; i + n <= seq.length; i++) {
    if (t.parts.every((p, j) => wordMatches(seq[i + j]!, p))) return true;
  }
  if (n > 1) {
    // Written together: "childporn" for "child porn" (a trailing * still allows any ending).
    const joined = part(t.parts.map((p) => p.word).join(''), t.parts[n - 1]!.prefix);
    if (seq.some((w) => wordMatches(w, joined))) return true;
  }
  return false;
}

/** The most specific term the text contains (most words; the earlier in the list on a tie), or null. */
export function findTerm(text: string, terms: CompiledTerm[]): CompiledTerm | null {
  const seqs = readings(text);
  let best: CompiledTerm | null = null;
  for (const t of terms) {
    if ((!best || t.parts.length > best.parts.length) && seqs.some((seq) => matchesSequence(seq, t))) best = t;
  }
  return best;
}
