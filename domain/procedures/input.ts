/**
 * What every procedure is started with. The registry travels in the input so that a run's
 * history holds everything its decisions depend on (a replay needs no registry file).
 */
import type { Registry } from '../registry/schema';

/** The fields every procedure's input has. */
export interface ProcedureInput {
  cellId: string;
  /** Why it was started: the alarm, or the operator's words. */
  reason: string;
  /** Who (or which alarm gateway) asked for it; four-eyes approvals compare against it. */
  requestedBy: string;
  /** The fleet and its policies as loaded when the procedure was requested. */
  registry: Registry;
}

/** Input of `cellRestart`. */
export interface CellRestartInput extends ProcedureInput {
  /**
   * The restart is one of several in a cascade recovery: the other failed cells are known to be
   * unhealthy (they are recovered in turn), so the eligibility step does not require the rest of
   * the fleet to be healthy. Default false.
   */
  partOfCascade?: boolean;
}
