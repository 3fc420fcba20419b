import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { arrange, freeSpotNear, mentionKeysOf, mentionsIn, putItem, readItems } from './board.js';

const overlap = (a: { x: number; y: number; w: number; h: number }, b: { x: number; y: number; w: number; h: number }) => a.x < b.x + b.w && a.x + a.w > b.x && a.y < b.y + b.h && a.y + a.h > b.y;

describe('freeSpotNear', () => {
  it('uses the spot asked for when it is free', () => {
    expect(freeSpotNear([{ x: 1000, y: 1000, w: 10, h: 10 }], { x: 50, y: 60 }, 200, 150)).toEqual({ x: 50, y: 60 });
  });

  it('puts ten new notes near the same point without any of them covering another', () => {
    const placed: { x: number; y: number; w: number; h: number }[] = [];
    for (let i = 0; i < 10; i++) placed.push({ ...freeSpotNear(placed, { x: 300, y: 200 }, 200, 150), w: 200, h: 150 });
    for (let i = 0; i < placed.length; i++) for (let j = i + 1; j < placed.length; j++) expect(overlap(placed[i]!, placed[j]!)).toBe(false);
    // The second note is right next to the first, not far away.
    expect(Math.hypot(placed[1]!.x - 300, placed[1]!.y - 200)).toBeLessThanOrEqual(216);
  });
});

describe('arrange', () => {
  const board = () => {
    const doc = new Y.Doc();
    doc.transact(() => ['a', 'b', 'c', 'd'].forEach((id, z) => void putItem(doc, { id, type: 'note', x: 0, y: 0, w: 10, h: 10, z: z + 1, text: id })));
    return doc;
  };
  const order = (doc: Y.Doc) => readItems(doc).sort((x, y) => x.z - y.z).map((i) => i.id).join('');

  it('brings the chosen items in front of all others, keeping their own order', () => {
    const doc = board();
    arrange(doc, ['b', 'a'], 'front');
    expect(order(doc)).toBe('cdab');
  });

  it('sends the chosen items behind all others', () => {
    const doc = board();
    arrange(doc, ['d'], 'back');
    expect(order(doc)).toBe('dabc');
  });
});

describe('mentionsIn', () => {
  it('reads names as people end sentences with them', () => {
    expect(mentionsIn('Thanks @Ada. See you')).toEqual(['ada']);
    expect(mentionsIn('@Ada, @grace; (@Linus) @Ada! @Ada…')).toEqual(['ada', 'grace', 'linus']);
    expect(mentionsIn('ping @ada.lovelace. and @jean-luc_')).toEqual(['ada.lovelace', 'jean-luc']);
  });

  it('does not read an email address, a lone @ or punctuation as a mention', () => {
    expect(mentionsIn('write to ada@example.com or josé@ada.example')).toEqual([]);
    expect(mentionsIn('@ @. @@ada')).toEqual([]);
  });
});

describe('mentionKeysOf', () => {
  it('answers to the first name, the whole name and the email name, without trailing dots', () => {
    expect(mentionKeysOf({ name: 'Ada Lovelace', email: 'countess@example.test' })).toEqual(['ada', 'adalovelace', 'countess']);
    expect(mentionKeysOf({ name: 'Dr. Who', email: 'the.doctor.@example.test' })).toEqual(['dr', 'dr.who', 'the.doctor']);
    expect(mentionsIn('Ask @Dr. about it').some((n) => mentionKeysOf({ name: 'Dr. Who', email: 'x@y' }).includes(n))).toBe(true);
  });
});
