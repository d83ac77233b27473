/**
 * AnomalyEvent: the models' verdict on one exported flow. Every scored flow gets one; `alert` is true when
 * `score` reaches the model's calibrated threshold (then an Alert of kind 'anomaly' is raised as well).
 */
export interface AnomalyEvent {
  tsUs: number;
  flowId: number;
  communityId: string;
  srcIp: string;
  dstIp: string;
  dstPort: number;
  proto: string;
  /** calibrated ensemble score in [0, 1] */
  score: number;
  /** each model's raw score beside its calibrated one */
  models: { name: string; raw: number; calibrated: number }[];
  threshold: number;
  alert: boolean;
  /** id of the model in use (name + training date), recorded with every event */
  modelId: string;
}

/**
 * The text of an anomaly alert, written here and read back here: EVE and the API carry it as it is, the
 * dashboard puts it in words (web/views/anomaly-words.ts) from what parseAnomalyEvidence/-Signature find.
 */
export function anomalyEvidenceText(ev: Pick<AnomalyEvent, 'score' | 'threshold' | 'models' | 'modelId'>): string {
  return `anomaly score ${ev.score.toFixed(3)} ≥ threshold ${ev.threshold.toFixed(3)} (${ev.models.map((m) => `${m.name} ${m.calibrated.toFixed(3)}`).join(', ')}); model ${ev.modelId}`;
}

/** An anomaly alert's title: the flow it is about and its score. */
export function anomalySignature(protoName: string, src: string, dst: string, score: number): string {
  return `Unusual ${protoName} flow ${src} → ${dst} (score ${score.toFixed(3)})`;
}

const EVIDENCE = /^anomaly score ([\d.]+) ≥ threshold ([\d.]+) \((.*)\); model (\S+)$/;
const SIGNATURE = /^(Unusual \S+ flow .*) \(score ([\d.]+)\)$/;

/** The parts of an anomalyEvidenceText() line, or null for any other text. */
export function parseAnomalyEvidence(text: string): { score: string; threshold: string; models: string; modelId: string } | null {
  const m = EVIDENCE.exec(text);
  return m === null ? null : { score: m[1]!, threshold: m[2]!, models: m[3]!, modelId: m[4]! };
}

/** The parts of an anomalySignature() title, or null for any other title. */
export function parseAnomalySignature(text: string): { about: string; score: string } | null {
  const m = SIGNATURE.exec(text);
  return m === null ? null : { about: m[1]!, score: m[2]! };
}
