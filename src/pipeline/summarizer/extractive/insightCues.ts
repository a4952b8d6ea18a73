/**
 * How a sentence reads: whether it states something the company wants (a goal) or
 * something in its way now (a challenge), or only sounds like one. The cues are about how
 * people say things on any sales or customer call, never about one company's subject.
 */

export type InsightKind = 'goal' | 'challenge';

/** Why a sentence that sounds like a goal or a challenge is not one. */
export type NotAnInsight =
  | 'negation'
  | 'resolved'
  | 'hypothetical'
  | 'hedged'
  | 'small_talk'
  | 'request';

type Cue = [RegExp, number];

const PROBLEM_NOUN =
  '(?:problem|issue|concern|challenge|blocker|worry|pain(?: point)?|risk|bottleneck)s?';

const NOT_AN_INSIGHT: Array<[NotAnInsight, RegExp[]]> = [
  [
    'negation',
    [
      // "Budget is not a problem", "HIPAA isn't a concern", "SSO is not required"
      new RegExp(
        `(?:\\bnot|n't|\\bno|\\bnever)\\s+(?:(?:really|much of|a|an|the|any|big|real)\\s+){0,3}${PROBLEM_NOUN}\\b`,
        'i',
      ),
      /\b(?:is|are)(?: not|n't) (?:required|needed|an? (?:priority|requirement))\b/i,
      // "We don't need SSO", "Kestrel does not need the module"
      /\b(?:don't|do not|doesn't|does not|won't|will not) need\b/i,
    ],
  ],
  [
    'resolved',
    [
      // "that's sorted since", "the vendor fixed that", "was closed in March"; not "I need fixed"
      /^(?!.*\b(?:need|needs|want|wants|to be|to get|not|n't|yet)\s+(?:\w+\s+){0,2}(?:sorted|fixed|resolved|cleared|closed)\b).*\b(?:sorted|fixed|resolved|cleared|closed)\b/i,
      /\bused to (?:struggle|have|fail|be|get|lose|spend)\b/i,
      /\b(?:already|now) (?:down|up) (?:from|to)\b/i,
      // A fix described as done: "reminders address the main pain points"
      /\baddress(?:es|ed)? the (?:[\w-]+ ){0,4}(?:pain points?|concerns?|problems?|issues?)\b/i,
      /\b(?:behind us|gone now|no longer an?|went away|was clean|passed this year)\b/i,
      // "Wakefield has had no double-bookings since the slots went in"
      /\b(?:no|zero) (?:[\w-]+ ){1,3}since\b/i,
    ],
  ],
  [
    'hypothetical',
    [
      /\bif (?:\w+ ){0,3}ever\b/i,
      /\b(?:we|they|it|that)(?:'d| would) (?:need|be|have)\b.*\b(?:but|if)\b/i,
      /\b(?:years away|not planned|nobody is planning|no one'?s? (?:is )?proposing|isn't happening|is not happening|they haven't)\b/i,
    ],
  ],
  [
    'hedged',
    [
      /\b(?:maybe|perhaps|might|possibly|eventually|someday|at some point|one day|some day)\b/i,
      /\b(?:not sure|don't know if|no decision|not decided|just an idea|pipe dream|wouldn't bet|can't promise|can't say|possible future)\b/i,
    ],
  ],
  [
    'small_talk',
    [
      // The speaker's own plans: "I want to get a coffee", "I'm off to", "I have to go"
      /\bI(?:'m| am|'d| would)? (?:want|need|have|going|hoping|off|heading) to\b/i,
      /\b(?:coffee|lunch|weekend|holiday|vacation|weather|raining|snow|traffic|christmas|thanksgiving|birthday)\b/i,
    ],
  ],
  [
    'request',
    [
      // What someone asks for in the meeting ("Send me the proposal", "Keep the demo up").
      /^(?:please )?(?:send|keep|book|give|share|set up|copy|call|email|let's|let me|remind)\b/i,
    ],
  ],
];

const GOAL_CUES: Cue[] = [
  [/\b(?:goal|objective|aim|target|priority|headline|success (?:means|looks like))s?\b/i, 3],
  // Saying what one wants outweighs the complaint given as its reason.
  [/\b(?:want|wants|wanted)(?! an end)(?: \w+){0,3} to\b|\bwe want\b|\b(?:would|'d) like to\b/i, 4],
  // Not "would need to", which is a condition, not a need.
  [/(?<!\bwould |'d )\bneeds? to (?!(?:fix|solve|sort|deal|address|work around|know)\b)/i, 3],
  [/\b(?:aims?|plans?|planning|hoping|hopes|intends?|expects?) to\b/i, 2],
  [/\b(?:we're|we are|is) (?:launching|opening|expanding|moving)\b|\blaunch(?:es|ing)? in\b/i, 2],
  [
    /\b(?:has|have) to (?:be|run|work|launch|go|show|happen)\b|\bmust (?:be|run|launch|go|happen)\b/i,
    2,
  ],
  [/\bshould (?:only|be|complete|all)\b/i, 2],
  [
    /\b(?:what I'm after|on our list|the number (?:our|the) \w+ (?:cares? about|watch(?:es)?))\b/i,
    2,
  ],
  [
    /\bby (?:q[1-4]|the end of|end of|next|january|february|march|april|may|june|july|august|september|october|november|december)\b/i,
    1,
  ],
  [
    /\bbefore (?:\w+ ){0,3}(?:opens?|launch(?:es)?|go(?:es)? live|arrives?|arrival|peak|summer)\b/i,
    1,
  ],
  [
    /\bwithin (?:\w+ ){0,3}(?:hours?|days?|working day)\b|\bfrom (?:day one|launch|opening day)\b/i,
    1,
  ],
  [/\b(?:same-day|under|below|down to|down by|in real time|real-time)\b/i, 1],
];

const CHALLENGE_CUES: Cue[] = [
  [
    new RegExp(
      `\\b${PROBLEM_NOUN}\\b|\\bworr(?:y|ies|ied)\\b|\\bthe (?:hard|worst) part\\b|\\bthe worst\\b|\\ba mess\\b`,
      'i',
    ),
    3,
  ],
  [/\bneeds? to (?:fix|solve|sort|deal with|address|work around)\b/i, 3],
  [/\bkeeps? \w+ing\b|\bdouble-book/i, 3],
  // Wanting a problem gone states the problem: "an end to", "stop the", "no more".
  [/\b(?:an end to|stop the|get rid of|no more)\b/i, 2],
  [
    /\b(?:can't|cannot|can not|unable to|won't|doesn't|don't|isn't|aren't) (?:scale|connect|find|skip|reply|show|give|get|read|match|trust|add up|reconcile|be shortened)|\bnot (?:connected|scale|trusted|shortened)|\bnobody (?:reads|trusts|can)\b/i,
    3,
  ],
  [
    /\btakes? (?:\w+ ){0,3}(?:weeks|months|days|hours|minutes)\b|\btook (?:\w+ ){0,3}(?:weeks|months|days)\b/i,
    2,
  ],
  [
    /\b(?:overloaded|stretched|drowning|underwater|flooded|swamped|idle|nonstop|piles? up|backlog|false positives?|mistakes|errors?|slow|expensive|difficult|painful|hate|arguments?|disputes?|disagree|ignored|stuck|expire|split across|spread (?:over|across)|twice|by hand|manual(?:ly)?|argu(?:e|ing))\b/i,
    2,
  ],
  [
    /\b(?:spreadsheets?|whiteboard|paper|fax(?:ed|es)?|letters?|clipboard|flat-file|csv|typ(?:e|es|ing) (?:the same|everything))\b/i,
    1,
  ],
  [/\b(?:still|again|only ever|yesterday's|never quite|none of them)\b/i, 1],
];

/** Reasons that hold for the whole line a sentence is part of (see leavesOutWholeLine). */
const LINE_WIDE: ReadonlySet<NotAnInsight> = new Set([
  'resolved',
  'hypothetical',
  'hedged',
  'small_talk',
]);

/**
 * Whether the sentence discounts the rest of its line too: "We tried that and the problem
 * was X. That vendor's gone now, so that's behind us." is one resolved problem. A denial or
 * a request is only as wide as its sentence.
 */
export function leavesOutWholeLine(sentence: string): boolean {
  const reason = notAnInsight(sentence);
  return reason !== undefined && LINE_WIDE.has(reason);
}

/** The reason a sentence only sounds like an insight, if it does. */
export function notAnInsight(sentence: string): NotAnInsight | undefined {
  for (const [reason, patterns] of NOT_AN_INSIGHT) {
    if (patterns.some((pattern) => pattern.test(sentence))) return reason;
  }
  return undefined;
}

/** How strongly a sentence reads as a goal and as a challenge (0: not at all). */
export function kindScores(sentence: string): Record<InsightKind, number> {
  return { goal: score(sentence, GOAL_CUES), challenge: score(sentence, CHALLENGE_CUES) };
}

function score(text: string, cues: Cue[]): number {
  return cues.reduce((sum, [cue, weight]) => sum + (cue.test(text) ? weight : 0), 0);
}
