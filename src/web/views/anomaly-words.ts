/**
 * The anomaly model's alert text in words. The pipeline writes its evidence for EVE and the API as figures
 * (models/anomaly.ts, which also reads them back)
 * ("anomaly score 1.000 ≥ threshold 0.999 (autoencoder 1.000, isolation-forest 0.902); model default@…") and its
 * title with "(score 1.000)"; a page says what that means and keeps the figures as a small code, the per-model
 * scores and the model in its title. Any other text passes through as longText().
 */
import { parseAnomalyEvidence, parseAnomalySignature } from '../../models/anomaly.js';
import { html, type Html } from '../html.js';
import { longText } from './format.js';

/** An evidence line of an alert or incident, in words when it is the anomaly model's. */
export function evidenceWords(text: string): Html {
  const m = parseAnomalyEvidence(text);
  if (m === null) return longText(text);
  return html`looked more unusual than the model lets a flow of this network look <code class="small muted" title="${`anomaly score ≥ threshold; per model: ${m.models}; model ${m.modelId}`}">${m.score} ≥ ${m.threshold}</code>`;
}

/** An alert's title, its anomaly score as a small code. */
export function signatureWords(signature: string): Html {
  const m = parseAnomalySignature(signature);
  if (m === null) return longText(signature);
  return html`${longText(m.about)} <code class="small muted" title="anomaly score">${m.score}</code>`;
}
