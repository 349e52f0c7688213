/** `cellops approve <id> --reason …`. */
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { registerDecision } from './decision';

export const registerApprove = (program: Command, ctx: CommandContext): void => registerDecision(program, ctx, true);
