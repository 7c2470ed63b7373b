/**
 * Korean particles follow the last sound of the word before them: 키가 but 토큰이. For a word
 * that does not end in Hangul (a product name, a file path) both forms are written, as Korean
 * software commonly does: `OpenAI이(가)`.
 * @module
 */

function endsInConsonant(word: string): boolean | undefined {
  const code = word.trimEnd().codePointAt(word.trimEnd().length - 1) ?? 0;
  if (code < 0xac00 || code > 0xd7a3) return undefined;
  return (code - 0xac00) % 28 !== 0;
}

function attach(word: string, withConsonant: string, withVowel: string): string {
  const consonant = endsInConsonant(word);
  if (consonant === undefined) return `${word}${withConsonant}(${withVowel})`;
  return `${word}${consonant ? withConsonant : withVowel}`;
}

/** The subject particle: 키가, 토큰이. */
export const subject = (word: string) => attach(word, '이', '가');
/** The object particle: 키를, 토큰을. */
export const object = (word: string) => attach(word, '을', '를');
/** The topic particle: 키는, 토큰은. */
export const topic = (word: string) => attach(word, '은', '는');
