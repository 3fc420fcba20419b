/**
 * The shipped prompt term list. Operators add their own at /admin/moderation (stored in
 * `moderation_term`); these stay. Kept short on purpose: each entry is a word or phrase that has no
 * ordinary meaning an image prompt needs, so a match is a refusal a person would agree with. Broad
 * words ("nude", "blood", "gun") are left to the image classifier and the hosted check, which see
 * context. See terms.ts for how matching works (`*` = any ending).
 *
 * To change: add or remove a line, add a case to terms.test.ts, and mention it in the changelog.
 */
import type { ModerationCategory } from '../../shared/moderation.js';

export const DEFAULT_TERMS: readonly (readonly [string, ModerationCategory])[] = [
  // sexual content involving minors: always refused, whatever the workspace
  ['child porn*', 'minors'],
  ['child sexual abuse', 'minors'],
  ['csam', 'minors'],
  ['underage sex*', 'minors'],
  ['underage nude*', 'minors'],
  ['underage naked', 'minors'],
  ['naked child*', 'minors'],
  ['nude child*', 'minors'],
  ['naked kid*', 'minors'],
  ['nude kid*', 'minors'],
  ['naked minor*', 'minors'],
  ['nude minor*', 'minors'],
  ['loli', 'minors'],
  ['lolicon', 'minors'],
  ['shotacon', 'minors'],
  ['jailbait', 'minors'],
  ['preteen sex*', 'minors'],
  ['pedo', 'minors'],
  ['pedo porn*', 'minors'],
  // sexual or pornographic content
  ['porn*', 'sexual'],
  ['pr0n', 'sexual'],
  ['xxx', 'sexual'],
  ['hentai', 'sexual'],
  ['blowjob*', 'sexual'],
  ['handjob*', 'sexual'],
  ['cumshot*', 'sexual'],
  ['creampie*', 'sexual'],
  ['gangbang*', 'sexual'],
  ['bukkake', 'sexual'],
  ['deepthroat*', 'sexual'],
  ['hardcore sex', 'sexual'],
  ['explicit sex', 'sexual'],
  ['sex act*', 'sexual'],
  ['having sex', 'sexual'],
  ['masturbat*', 'sexual'],
  ['erect penis', 'sexual'],
  ['genitals', 'sexual'],
  ['cunt*', 'sexual'],
  ['pussy spread*', 'sexual'],
  // graphic violence or gore
  ['beheading*', 'violence'],
  ['decapitat*', 'violence'],
  ['dismember*', 'violence'],
  ['disembowel*', 'violence'],
  ['mutilated body', 'violence'],
  ['mutilated corpse*', 'violence'],
  ['gore porn', 'violence'],
  ['snuff film*', 'violence'],
  ['mass shooting', 'violence'],
  ['school shooting', 'violence'],
  // self-harm
  ['self harm', 'self-harm'],
  ['selfharm', 'self-harm'],
  ['slit wrist*', 'self-harm'],
  ['cutting wrist*', 'self-harm'],
  ['suicide method*', 'self-harm'],
  ['how to kill myself', 'self-harm'],
  ['pro ana', 'self-harm'],
  // hate
  ['white power', 'hate'],
  ['heil hitler', 'hate'],
  ['sieg heil', 'hate'],
  ['gas the jews', 'hate'],
  ['kill all jews', 'hate'],
  ['kill all muslims', 'hate'],
  ['kill all gays', 'hate'],
  ['nigger*', 'hate'],
  ['faggot*', 'hate'],
  ['kike*', 'hate'],
  // harassment or threats
  ['revenge porn', 'harassment'],
  ['deepfake nude*', 'harassment'],
  ['deep fake nude*', 'harassment'],
  ['undress her', 'harassment'],
  ['undress him', 'harassment'],
  ['nudify', 'harassment'],
  ['i will kill you', 'harassment'],
  // serious crimes or weapons
  ['pipe bomb*', 'illicit'],
  ['nail bomb*', 'illicit'],
  ['how to make a bomb', 'illicit'],
  ['bomb making', 'illicit'],
  ['nerve agent recipe', 'illicit'],
  ['meth recipe', 'illicit'],
  ['cook meth', 'illicit'],
  ['counterfeit money', 'illicit'],
  ['fake passport', 'illicit'],
  ['fake id card*', 'illicit'],
];
