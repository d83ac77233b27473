/** Evaluation of the whole pipeline on labelled captures: `argus-edge eval`. The contract is types.ts. */
export { formatReport, formatWindows } from './format.js';
export { evaluatePipeline, evaluatePipelineFiles, type EvalOptions } from './run.js';
export { EvalAccumulator, roleOf } from './score.js';
export type { EvalReport, FalseByHost, LabelRole, WindowResult } from './types.js';
