/** `cellops reject <id> --reason …`. */
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { registerDecision } from './decision';

export const registerReject = (program: Command, ctx: CommandContext): void => registerDecision(program, ctx, false);
