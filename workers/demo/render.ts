/**
 * The demonstration's terminal: the procedure drawn by `cellops watch`'s renderer (steps with
 * ticks and durations, progress bar, traffic weights, the pending approval and its command, the
 * report), below the lines the demonstration prints (banner, fault, alarm, gateway, approvals).
 * On a terminal each change redraws the screen, as `watch` does; in a pipe or a log each new
 * frame is printed after the previous one.
 */
import type { Client } from '@temporalio/client';
import { renderProcedure, renderReport } from '../../client/cli/render/procedure';
import type { Colors } from '../../client/cli/style';
import { getProcedure } from '../../client/data/procedure';
import { workflowWebUiUrl } from '../../client/data/web-ui';
import type { ProcedureReport } from '../../domain/procedures/report';
import type { Registry } from '../../domain/registry';

const CLEAR_SCREEN = '\u001b[2J\u001b[H';

/** What the demonstration writes. */
export interface LiveView {
  /** A line of commentary (kept above the frame on a terminal). */
  line(text: string): void;
  /** The procedure's current frame; the same frame again is not drawn again. */
  frame(text: string): void;
  /** The procedure is over: from now on lines are only appended (the summary stays the last line). */
  settle(): void;
}

/** A live view writing to `out`; `isTTY` redraws the screen on each change, else frames follow each other. */
export function createLiveView(out: (text: string) => void, isTTY: boolean): LiveView {
  const lines: string[] = [];
  let current: string | undefined;
  let settled = false;
  const redraw = (): void => out(`${CLEAR_SCREEN}${[...lines, '', current ?? ''].join('\n')}\n`);
  return {
    line(text) {
      lines.push(text);
      if (isTTY && current !== undefined && !settled) redraw();
      else out(`${text}\n`);
    },
    frame(text) {
      if (text === current) return;
      current = text;
      if (isTTY && !settled) redraw();
      else out(`\n${text}\n`);
    },
    settle() {
      settled = true;
    },
  };
}

export interface FrameOptions {
  registry: Registry;
  colors: Colors;
  webUiBaseUrl: string;
  /** The run to draw; default the latest. */
  runId?: string;
  /** The procedure has ended: its traffic is read from its last progress, for the final frame. */
  ended?: boolean;
}

/** A frame of the procedure `workflowId`: its text, and whether it holds the report or the run went on as another (continue-as-new). */
export interface ProcedureFrame {
  text: string;
  hasReport: boolean;
  continuedAsNew: boolean;
}

/** The procedure `workflowId` as `cellops watch` draws it. */
export async function procedureFrame(client: Client, workflowId: string, options: FrameOptions): Promise<ProcedureFrame> {
  const view = await getProcedure(client, workflowId, { registry: options.registry, runId: options.runId, endedTraffic: options.ended });
  return {
    text: renderProcedure(view, options.colors, workflowWebUiUrl(options.webUiBaseUrl, view.namespace, view.workflowId, view.runId)),
    hasReport: view.report !== undefined,
    continuedAsNew: view.status === 'CONTINUED_AS_NEW',
  };
}

/** The report as `cellops watch` ends with it, for a report the final frame does not hold. */
export function reportText(report: ProcedureReport, colors: Colors): string {
  return renderReport(report, colors);
}
