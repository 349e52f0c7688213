import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes every procedure keeps current, for the Web UI and `ListWorkflowExecutions`. */
export const CellIdAttribute = defineSearchAttributeKey('CellId', SearchAttributeType.KEYWORD);
export const ProcedureAttribute = defineSearchAttributeKey('Procedure', SearchAttributeType.KEYWORD);
export const StepAttribute = defineSearchAttributeKey('Step', SearchAttributeType.KEYWORD);

/** Registration form for a dev server or `temporal operator search-attribute create`. */
export const CELLOPS_SEARCH_ATTRIBUTES = {
  CellId: 'Keyword',
  Procedure: 'Keyword',
  Step: 'Keyword',
} as const;
