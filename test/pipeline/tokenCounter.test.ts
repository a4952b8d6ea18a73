import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type BpeRanks,
  loadO200kRanks,
  parseTiktokenRanks,
} from '../../src/pipeline/summarizer/bpeRanks.ts';
import { TiktokenCounter } from '../../src/pipeline/summarizer/tokenCounter.ts';
import { buildMeetings } from '../../support/fakes/fathomFixtures.ts';
import { ReferenceTokenCounter } from '../support/referenceTokenCounter.ts';

const reference = new ReferenceTokenCounter();
afterAll(() => reference.free());

/** One counter (and so one load of the ranks) for the whole file. */
const counter = new TiktokenCounter();

/** Counts read off OpenAI's tiktoken (o200k_base, ordinary text), written down by hand. */
const KNOWN_COUNTS: Array<[string, number]> = [
  ['', 0],
  ['hello world', 2],
  ['Our goal is to reduce churn among small accounts.', 10],
  ['日本語のテキストです。', 8],
  ['👨‍👩‍👧‍👦 family', 12],
  ['1234567890', 4],
  ['a'.repeat(1000), 125],
  ['-'.repeat(1000), 16],
  ['<|endoftext|>', 7],
  ["it'ſa DON'T", 5],
  // U+FEFF is not white space for tiktoken (js-tiktoken's JavaScript `\s` says 4 here).
  ['a\uFEFF\uFEFFb', 3],
];

describe('the o200k token counter', () => {
  it('gives the counts OpenAI tiktoken gives for known texts, as does the reference', () => {
    for (const [text, tokens] of KNOWN_COUNTS) {
      expect({ text, tokens: reference.count(text) }).toEqual({ text, tokens });
      expect({ text, tokens: counter.count(text) }).toEqual({ text, tokens });
    }
  });

  it('counts every fixture meeting, transcript and summary, as the reference does', () => {
    const meetings = buildMeetings({
      companies: [
        { domain: 'acme.com', people: [{ name: 'Jane Doe', email: 'jane@acme.com' }] },
        { domain: 'globex.io', people: [{ name: 'Zoë Ångström', email: 'zoe@globex.io' }] },
      ],
      meetingsPerCompany: 20,
      transcriptLinesPerMeeting: 30,
    });
    const demo = JSON.parse(readFileSync('demo/meetings.json', 'utf8')) as unknown;
    const texts = [
      JSON.stringify(demo),
      ...meetings.flatMap((meeting) => [
        meeting.default_summary?.markdown_formatted ?? '',
        (meeting.transcript ?? []).map((l) => `${l.speaker.display_name}: ${l.text}`).join('\n'),
        JSON.stringify(meeting),
      ]),
    ];
    expect(texts.join('').length).toBeGreaterThan(100_000);
    for (const text of texts) expect(counter.count(text)).toBe(reference.count(text));
  });

  it('counts unicode, emoji, CJK, numbers, white space, code and very long words as the reference does', () => {
    const texts = [
      'Zoë Ångström — naïve café, façade; Straße, ǅemal, ΑΒΓ αβγ, Привет мир, שלום, مرحبا',
      'これは日本語の文章です。中文句子也在这里。한국어 문장도 있습니다.',
      '🎉👍🏽👨‍👩‍👧‍👦🏳️‍🌈 emoji 😀😀😀 and flags 🇩🇪🇫🇷',
      '3.14159 2026-12-01 +1 (555) 010-9999 1,000,000 ١٢٣ ⅷ ½ 00042',
      '   leading\t\ttabs\n\n\n\r\nwindows\r\n    trailing   \n \u00a0\u3000\u2028\u0085\u200b',
      'function f(x: number): number {\n\treturn x * 2; // twice\n}\nconst y = f(21);\n',
      '```sql\nSELECT * FROM meetings WHERE id >= 100 AND title LIKE "%Q2%";\n```',
      "I'm sure they'll say we've done it; THEY'RE SURE, she'd said. it'S, it'ſ, O'Neil's",
      'supercalifragilisticexpialidocious'.repeat(40),
      'x'.repeat(20_000),
      ' '.repeat(5_000),
      '\n'.repeat(3_000),
      '=-'.repeat(4_000),
      'aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQ='.repeat(50),
      'lone surrogates \ud800 and \udc00 and a pair \ud83d\ude00',
      '<|endoftext|><|endofprompt|><|fim_prefix|>',
      '\u0000\u0001\u007f control',
      // Runs where merging the rightmost of equally ranked pairs first would count otherwise.
      'lollll leeeeeeeeee llslllllssll ttt==tt=ttt ssääsääsäää nnännnnänn',
    ];
    for (const text of texts) {
      expect({ text: text.slice(0, 40), tokens: counter.count(text) }).toEqual({
        text: text.slice(0, 40),
        tokens: reference.count(text),
      });
    }
  });

  it('counts thousands of random mixed-script strings as the reference does', () => {
    const alphabet = [
      ...'aAbBsStTdDlLmMrReEvV zZ09 \t\n\r\'".,-/!?()[]{}#@$%^&*_=+:;<>|~`',
      ...'ſéÉßçñøÆœ日本語中文한국어Ωωкир١٢',
      '😀',
      '👍🏽',
      '\u200b',
      '\ufeff',
      '\u0085',
      '\u00a0',
      '\u3000',
      '\u2028',
      '\u0301',
      '\ud800',
    ];
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const mismatches: string[] = [];
    for (let n = 0; n < 3_000; n++) {
      let text = '';
      const length = 1 + Math.floor(random() * 60);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      if (counter.count(text) !== reference.count(text)) mismatches.push(text);
    }
    expect(mismatches).toEqual([]);
  });

  it('loads the ranks on the first count only, and not when it is built', () => {
    let loads = 0;
    const lazy = new TiktokenCounter(() => {
      loads++;
      return loadO200kRanks();
    });
    expect(loads).toBe(0);
    expect(lazy.count('hello world')).toBe(2);
    expect(lazy.count('hello world')).toBe(2);
    expect(loads).toBe(1);
  });
});

describe('the o200k ranks', () => {
  let ranks: BpeRanks;

  it("are OpenAI's file: every token, each at its rank", () => {
    ranks = loadO200kRanks();
    expect(ranks.size).toBe(199_998);
    const utf8 = new TextEncoder();
    for (const [text, rank] of [
      ['!', 0],
      [' hello', 40617],
      ['hello', 24912],
      [' cocos', 199_997],
    ] as const) {
      const bytes = utf8.encode(text);
      expect({ text, rank: ranks.rank(bytes, 0, bytes.length) }).toEqual({ text, rank });
    }
    const notAToken = utf8.encode('hello world');
    expect(ranks.rank(notAToken, 0, notAToken.length)).toBe(-1);
  });

  it('refuse a ranks file whose lines are not in rank order, naming the line', () => {
    const file = new TextEncoder().encode('IQ== 0\nIg== 2\n');
    expect(() => parseTiktokenRanks(file)).toThrow('line 2 has rank 2, expected 1');
    expect(() => parseTiktokenRanks(new TextEncoder().encode('I*== 0\n'))).toThrow('not base64');
  });
});
