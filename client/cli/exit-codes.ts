/** `cellops` exit codes, documented in `cellops --help` and the README. */
import { CommanderError } from 'commander';
import { CannotConnectError } from '../connect';
import { ActionRefusedError, ChangeFrozenError, InvalidInputError, ProcedureNotFoundError } from '../data/errors';
import { AlreadyInRecoveryError, DeploymentAlreadyRunningError } from '../start-procedure';
import { UnknownProcedureError } from '../../domain/procedures/catalog';
import { CellAlreadyExistsError, UnknownCellError } from '../../domain/registry/lookup';

export const ExitCode = {
  /** Done. */
  Ok: 0,
  /** Anything else that went wrong. */
  Error: 1,
  /** Bad command line or input: unknown command, procedure or cell, a missing reason or identity. */
  Usage: 2,
  /** No such workflow. */
  NotFound: 3,
  /** The procedure (or Temporal) refused: four-eyes, nothing pending, not running, already in recovery, a change freeze. */
  Refused: 4,
  /** The Temporal server could not be reached. */
  CannotConnect: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The help text's section on exit codes. */
export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  error
  2  usage: bad arguments, unknown procedure or cell (or a new cell's id already taken), missing --reason or identity
  3  not found: no such workflow
  4  refused: the procedure said no (four-eyes, no approval pending, not running, cell already in recovery, change freeze)
  5  cannot connect to Temporal`;

/** The exit code for an error a command threw. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof CannotConnectError) return ExitCode.CannotConnect;
  if (err instanceof ProcedureNotFoundError) return ExitCode.NotFound;
  if (err instanceof ActionRefusedError || err instanceof AlreadyInRecoveryError || err instanceof DeploymentAlreadyRunningError || err instanceof ChangeFrozenError) return ExitCode.Refused;
  if (err instanceof InvalidInputError || err instanceof UnknownCellError || err instanceof CellAlreadyExistsError || err instanceof UnknownProcedureError) return ExitCode.Usage;
  if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  return ExitCode.Error;
}
