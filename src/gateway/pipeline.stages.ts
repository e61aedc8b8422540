import type { Config } from '../platform/config/config.js';
import type { Stage } from '../platform/smtp/stages.js';
import type { CopyRun, MessageRun } from './pipeline.run.js';
import { authenticateStage } from './stages/authenticate.stage.js';
import { blockStage } from './stages/block.stage.js';
import { databaseStage } from './stages/database.stage.js';
import { deliverStage } from './stages/deliver.stage.js';
import { imitationsStage } from './stages/imitations.stage.js';
import { quarantineStage } from './stages/quarantine.stage.js';
import { recordStage } from './stages/record.stage.js';
import { rememberStage } from './stages/remember.stage.js';
import { reportsStage } from './stages/reports.stage.js';
import { sanitiseStage } from './stages/sanitise.stage.js';
import { sealStage } from './stages/seal.stage.js';
import { spoofStage } from './stages/spoof.stage.js';
import { stampStage } from './stages/stamp.stage.js';
import { tipsStage } from './stages/tips.stage.js';

/**
 * The inbound pipeline as a list of stages, in order (docs/GATEWAY.md, "What happens to a
 * message"). Each stage is an object in its own file under stages/: a name, a time limit,
 * a failure policy, the recipients it concerns and its work. Every I/O of the pipeline
 * happens inside a stage. A 'message' stage works on the whole message; a 'copy' stage on
 * each copy (the recipients that share a tip) at once.
 */

export type StageName =
  | 'authenticate' | 'sanitise' | 'reports' | 'imitations' | 'block' | 'spoof' | 'quarantine' | 'tips'
  | 'stamp' | 'seal' | 'deliver' | 'record' | 'database' | 'remember';

export interface GatewayStageOf<C> extends Stage<C> {
  name: StageName;
  /**
   * The recipients the stage is about now: none → the stage is skipped; when it fails under
   * 'tempfail' they are answered 451 (a recipient already served is remembered in the
   * redelivery ledger, so the retry does not serve it twice).
   */
  concerns(c: C): readonly string[];
}

export interface MessageStage extends GatewayStageOf<MessageRun> {
  scope: 'message';
}

export interface CopyStage extends GatewayStageOf<CopyRun> {
  scope: 'copy';
}

export type GatewayStage = MessageStage | CopyStage;

/** The stages with the configured time limits. */
export function pipelineStages(config: Config): readonly GatewayStage[] {
  return [
    authenticateStage(config), sanitiseStage(config), reportsStage(config), imitationsStage(config), blockStage(config),
    spoofStage(config), quarantineStage(config), tipsStage(config), stampStage(config), sealStage(config), deliverStage(config),
    recordStage(config), databaseStage(config), rememberStage(config),
  ];
}
