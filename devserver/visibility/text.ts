/**
 * Splits Text into lower-cased words, approximating Elasticsearch's standard analyzer: words are
 * runs of letters, digits and underscores, and `'` or `.` inside a word does not split it
 * ("my-business-id" → my, business, id; "v1.2" → v1.2).
 */
export function analyzeText(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}\p{M}_]+(?:['.\u2019][\p{L}\p{N}\p{M}_]+)*/gu) ?? [];
}
