/**
 * What the Models page must not say to a home admin: the models' algorithms, their statistics and raw alert
 * kinds. A raw figure or configuration key may stay as a small <code> beside the words, so `readerWords`
 * drops those before a test looks.
 */
export const MODEL_JARGON = /isolation|forest|ensemble|autoencoder|\bPOT\b|\bGPD\b|pareto|quantile|calibrat|\bpeaks?\b|benign|\bscor(e|es|ed|ing)\b|refit|validation|\bloss\b|scan\.port|\banomaly\b/i;

/** The text of the page's HTML `section` with id `id`, without its <code> elements and tags. */
export function readerWords(page: string, id: string): string {
  const at = page.indexOf(`id="${id}"`);
  if (at < 0) return '';
  const section = page.slice(at, page.indexOf('</section>', at));
  return section.replace(/<code[^>]*>.*?<\/code>/gs, ' ').replace(/<details.*?<\/details>/gs, ' ').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
}
