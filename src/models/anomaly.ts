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
