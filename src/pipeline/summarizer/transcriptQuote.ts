/**
 * A quote as the LLM copied it from a transcript line of the material
 * (`[HH:MM:SS] Speaker: text`), without the parts that are not the speaker's words: models
 * do copy the time and the name, and neither is in what was said.
 */
export function withoutLinePrefix(quote: string, speakers: ReadonlySet<string>): string {
  let text = quote.trim().replace(/^\[\d{1,2}:\d{2}(:\d{2})?\]\s*/, '');
  const colon = text.indexOf(':');
  if (colon > 0 && speakers.has(text.slice(0, colon).trim())) text = text.slice(colon + 1);
  return text.trim();
}
