/**
 * @module The visibility query language (List Filter) of the dev server: parsing, matching,
 * ordering and error messages, on a fixed set of runs.
 */
import {
  BUILT_IN_SEARCH_ATTRIBUTES,
  matchesQuery,
  parseVisibilityQuery,
  sortRecords,
  VisibilityQueryError,
  type SearchAttributeType,
  type VisibilityRecord,
} from '../visibility/query';

/** Custom attributes registered on the namespace, one per type. */
const CUSTOM = new Map<string, SearchAttributeType>([
  ['CellId', 'Keyword'],
  ['Procedure', 'Keyword'],
  ['Tags', 'KeywordList'],
  ['Notes', 'Text'],
  ['Attempts', 'Int'],
  ['Ratio', 'Double'],
  ['DryRun', 'Bool'],
  ['Deadline', 'Datetime'],
]);

const at = (iso: string): Date => new Date(iso);
const NS_PER_MINUTE = 60e9;

/**
 * Five runs, in a fixed order that is none of the orders under test:
 *
 * | id | type            | status     | start            | close            | cell     | history |
 * |----|-----------------|------------|------------------|------------------|----------|---------|
 * | a  | cellRestart     | Running    | 01-01 10:00      | -                | cell-001 | 12      |
 * | b  | cellRestart     | Completed  | 01-01 11:00      | 01-01 11:30      | cell-002 | 40      |
 * | c  | cellReplacement | Failed     | 01-02 09:00      | 01-02 12:00      | cell-002 | 90      |
 * | d  | waveDeployment  | Terminated | 12-31 23:59:59.999 | 01-01 00:00    | -        | 5       |
 * | e  | cellRestart     | Running    | 01-02 08:00      | -                | cell-010 | 7       |
 */
const RUNS: VisibilityRecord[] = [
  {
    WorkflowId: 'a',
    RunId: 'run-a',
    WorkflowType: 'cellRestart',
    ExecutionStatus: 'Running',
    StartTime: at('2026-01-01T10:00:00Z'),
    ExecutionTime: at('2026-01-01T10:00:00Z'),
    TaskQueue: 'cellops',
    HistoryLength: 12,
    TemporalChangeVersion: ['drain-before-stop-1'],
    CellId: 'cell-001',
    Procedure: 'cellRestart',
    Tags: ['urgent', 'eu-west-1'],
    Notes: 'Drain traffic before the restart',
    Attempts: 1,
    Ratio: 0.25,
    DryRun: false,
    Deadline: at('2026-01-02T00:00:00Z'),
  },
  {
    WorkflowId: 'b',
    RunId: 'run-b',
    WorkflowType: 'cellRestart',
    ExecutionStatus: 'Completed',
    StartTime: at('2026-01-01T11:00:00Z'),
    CloseTime: at('2026-01-01T11:30:00Z'),
    ExecutionDuration: 30 * NS_PER_MINUTE,
    TaskQueue: 'cellops',
    HistoryLength: 40,
    ParentWorkflowId: 'wave-1',
    CellId: 'cell-002',
    Procedure: 'cellRestart',
    Tags: ['eu-west-1'],
    Notes: 'my-business-id-foobar',
    Attempts: 3,
    Ratio: 1.5,
    DryRun: true,
  },
  {
    WorkflowId: 'c',
    RunId: 'run-c',
    WorkflowType: 'cellReplacement',
    ExecutionStatus: 'Failed',
    StartTime: at('2026-01-02T09:00:00Z'),
    CloseTime: at('2026-01-02T12:00:00Z'),
    ExecutionDuration: 180 * NS_PER_MINUTE,
    TaskQueue: 'cellops',
    HistoryLength: 90,
    ParentWorkflowId: 'wave-1',
    CellId: 'cell-002',
    Procedure: 'cellReplacement',
    Attempts: 5,
  },
  {
    WorkflowId: 'd',
    RunId: 'run-d',
    WorkflowType: 'waveDeployment',
    ExecutionStatus: 'Terminated',
    StartTime: at('2025-12-31T23:59:59.999Z'),
    CloseTime: at('2026-01-01T00:00:00Z'),
    ExecutionDuration: 1e6,
    TaskQueue: 'waves',
    HistoryLength: 5,
    Tags: [],
  },
  {
    WorkflowId: 'e',
    RunId: 'run-e',
    WorkflowType: 'cellRestart',
    ExecutionStatus: 'Running',
    StartTime: at('2026-01-02T08:00:00Z'),
    TaskQueue: 'cellops',
    HistoryLength: 7,
    CellId: 'cell-010',
    Procedure: 'cellRestart',
    Tags: ['urgent'],
    Notes: 'Restart of cell ten',
    Attempts: 2,
    Ratio: 0.75,
    DryRun: false,
    Deadline: '2026-01-03T00:00:00Z', // an RFC 3339 string works as well as a Date
  },
];

/** The ids of the runs a query matches, in RUNS order. */
function matching(query: string, runs: VisibilityRecord[] = RUNS): string[] {
  const parsed = parseVisibilityQuery(query, CUSTOM);
  return runs.filter((run) => matchesQuery(parsed, run)).map((run) => String(run.WorkflowId));
}

/** The ids of the matching runs, in the order `sortRecords` gives them. */
function listed(query: string): string[] {
  const parsed = parseVisibilityQuery(query, CUSTOM);
  const found = RUNS.filter((run) => matchesQuery(parsed, run));
  return sortRecords(parsed, found).map((run) => String(run.WorkflowId));
}

/** The message a malformed query is rejected with. */
function errorOf(query: string): string {
  try {
    parseVisibilityQuery(query, CUSTOM);
  } catch (err) {
    expect(err).toBeInstanceOf(VisibilityQueryError);
    return (err as Error).message;
  }
  throw new Error(`expected ${query} to be rejected`);
}

describe('visibility query: operators', () => {
  it.each([
    ['WorkflowId = "b"', ['b']],
    ['WorkflowId != "b"', ['a', 'c', 'd', 'e']],
    ['WorkflowId <> "b"', ['a', 'c', 'd', 'e']],
    ['HistoryLength < 12', ['d', 'e']],
    ['HistoryLength <= 12', ['a', 'd', 'e']],
    ['HistoryLength > 40', ['c']],
    ['HistoryLength >= 40', ['b', 'c']],
    ['HistoryLength BETWEEN 7 AND 40', ['a', 'b', 'e']],
    ['HistoryLength NOT BETWEEN 7 AND 40', ['c', 'd']],
    ['CellId IN ("cell-001", "cell-010")', ['a', 'e']],
    ['CellId NOT IN ("cell-001", "cell-010")', ['b', 'c']],
    ['CellId STARTS_WITH "cell-00"', ['a', 'b', 'c']],
    ['CellId NOT STARTS_WITH "cell-00"', ['e']],
    ['CellId STARTS_WITH ""', ['a', 'b', 'c', 'e']],
    ['CellId IS NULL', ['d']],
    ['CellId IS NOT NULL', ['a', 'b', 'c', 'e']],
    ['NOT WorkflowId = "a"', ['b', 'c', 'd', 'e']],
    ['NOT (WorkflowId = "a" OR WorkflowId = "b")', ['c', 'd', 'e']],
    ['WorkflowId = "a" OR WorkflowId = "c"', ['a', 'c']],
    ['WorkflowType = "cellRestart" AND HistoryLength > 10', ['a', 'b']],
  ])('%s matches %j', (query, expected) => {
    expect(matching(query)).toEqual(expected);
  });

  it('keeps attribute names case-sensitive, as on Temporal', () => {
    expect(errorOf('workflowtype = "cellRestart"')).toBe('invalid search attribute: workflowtype (did you mean WorkflowType?) (at position 1)');
  });

  it.each([
    ['WorkflowType = "cellRestart" and ExecutionStatus = "Running"', ['a', 'e']],
    ['WorkflowType = "cellRestart" AnD NoT ExecutionStatus = "Running"', ['b']],
    ['CellId not in ("cell-002") Or WorkflowId is null', ['a', 'e']],
    ['HistoryLength between 5 and 7', ['d', 'e']],
    ['CellId starts_with "cell-01"', ['e']],
  ])('reads keywords in any case: %s', (query, expected) => {
    expect(matching(query)).toEqual(expected);
  });
});

describe('visibility query: precedence and parentheses', () => {
  it.each([
    // AND binds tighter than OR: Running OR (b AND false), not (Running OR b) AND false.
    ['ExecutionStatus = "Running" OR WorkflowId = "b" AND HistoryLength > 100', ['a', 'e']],
    ['WorkflowId = "b" AND HistoryLength > 100 OR ExecutionStatus = "Running"', ['a', 'e']],
    // Parentheses override it.
    ['(ExecutionStatus = "Running" OR WorkflowId = "b") AND HistoryLength > 10', ['a', 'b']],
    ['ExecutionStatus = "Running" OR WorkflowId = "b" AND HistoryLength > 10', ['a', 'b', 'e']],
    // NOT binds tighter than AND, looser than a comparison.
    ['NOT ExecutionStatus = "Running" AND HistoryLength > 10', ['b', 'c']],
    ['NOT (ExecutionStatus = "Running" AND HistoryLength > 10)', ['b', 'c', 'd', 'e']],
    ['NOT NOT WorkflowId = "a"', ['a']],
    ['((((WorkflowId = "a"))))', ['a']],
    ['(WorkflowId = "a" OR (WorkflowId = "b" AND (HistoryLength = 40)))', ['a', 'b']],
  ])('%s matches %j', (query, expected) => {
    expect(matching(query)).toEqual(expected);
  });
});

describe('visibility query: attribute types', () => {
  it.each([
    // Keyword: exact, case-sensitive, ordered by bytes.
    ['Procedure = "cellRestart"', ['a', 'b', 'e']],
    ['Procedure = "cellrestart"', []],
    ['WorkflowId < "c"', ['a', 'b']],
    ['WorkflowId BETWEEN "b" AND "d"', ['b', 'c', 'd']],
    ['`CellId` = "cell-001"', ['a']],
    // Text: any word of the value, case-insensitive; a part of a word does not match.
    ['Notes = "foobar"', ['b']],
    ['Notes = "foo"', []],
    ['Notes = "DRAIN"', ['a']],
    ['Notes = "cell restart"', ['a', 'e']],
    ['Notes != "restart"', ['b', 'c', 'd']],
    // Int and Double: numeric, either literal form.
    ['Attempts > 2', ['b', 'c']],
    ['Attempts = 2.0', ['e']],
    ['Attempts IN (1, 5)', ['a', 'c']],
    ['Ratio >= 0.75', ['b', 'e']],
    ['Ratio < 1', ['a', 'e']],
    ['Ratio > -1', ['a', 'b', 'e']],
    ['Ratio BETWEEN .5 AND 1e1', ['b', 'e']],
    // Bool.
    ['DryRun = true', ['b']],
    ['DryRun = FALSE', ['a', 'e']],
    ['DryRun != true', ['a', 'e']],
    // Datetime: RFC 3339 with offsets and nanoseconds, or Unix nanoseconds; Date or string in records.
    ['StartTime > "2026-01-01T10:00:00Z"', ['b', 'c', 'e']],
    ['StartTime >= "2026-01-01T10:00:00Z"', ['a', 'b', 'c', 'e']],
    ['StartTime = "2026-01-01T11:00:00+01:00"', ['a']],
    ['StartTime < "2025-12-31T23:59:59.999000001Z"', ['d']],
    ['StartTime = "2025-12-31T23:59:59.999000001Z"', []],
    ['StartTime = 1767261600000000000', ['a']],
    ['CloseTime < "2026-01-01T12:00:00Z"', ['b', 'd']],
    ['CloseTime IS NULL', ['a', 'e']],
    ['Deadline > "2026-01-02T12:00:00Z"', ['e']],
    ['Deadline IS NOT NULL', ['a', 'e']],
    // KeywordList: = means "contains", IN means "contains any".
    ['Tags = "urgent"', ['a', 'e']],
    ['Tags != "urgent"', ['b', 'c', 'd']],
    ['Tags IN ("eu-west-1", "nowhere")', ['a', 'b']],
    ['Tags NOT IN ("urgent")', ['b', 'c', 'd']],
    ['Tags IS NULL', ['c', 'd']],
    ['TemporalChangeVersion = "drain-before-stop-1"', ['a']],
    // Built-ins may drop the Temporal prefix, as on Temporal.
    ['ChangeVersion = "drain-before-stop-1"', ['a']],
  ])('%s matches %j', (query, expected) => {
    expect(matching(query)).toEqual(expected);
  });

  it.each([
    ['ExecutionStatus = "Failed"', ['c']],
    ['ExecutionStatus = "WORKFLOW_EXECUTION_STATUS_FAILED"', ['c']],
    ['ExecutionStatus = 3', ['c']],
    ['ExecutionStatus IN ("Completed", "Failed")', ['b', 'c']],
    ['ExecutionStatus != "Running"', ['b', 'c', 'd']],
  ])('ExecutionStatus: %s matches %j', (query, expected) => {
    expect(matching(query)).toEqual(expected);
  });

  it.each([
    ['ExecutionDuration > "1h"', ['c']],
    ['ExecutionDuration >= "00:30:00"', ['b', 'c']],
    ['ExecutionDuration BETWEEN "29m" AND "2h30m"', ['b']],
    ['ExecutionDuration < 1000000000', ['d']],
    ['ExecutionDuration = "1800000000000"', ['b']],
    ['ExecutionDuration > "1d"', []],
    ['ExecutionDuration IS NULL', ['a', 'e']],
  ])('ExecutionDuration (nanoseconds): %s matches %j', (query, expected) => {
    expect(matching(query)).toEqual(expected);
  });

  it('reads quotes and backslash escapes in string literals', () => {
    // GIVEN a run whose id holds both quote characters and a backslash
    const runs: VisibilityRecord[] = [{ WorkflowId: String.raw`it's "quoted" \ here`, RunId: 'r' }, { WorkflowId: 'other', RunId: 's' }];
    const queries = [
      String.raw`WorkflowId = 'it''s "quoted" \\ here'`,
      String.raw`WorkflowId = "it's \"quoted\" \\ here"`,
      String.raw`WorkflowId = 'it\'s "quoted" \\ here'`,
      String.raw`WorkflowId = "it's ""quoted"" \\ here"`,
    ];

    // WHEN each spelling of that id is queried
    const results = queries.map((q) => matching(q, runs));

    // THEN each finds exactly that run
    expect(results).toEqual(queries.map(() => [String.raw`it's "quoted" \ here`]));
  });

  it('lets built-ins win over a custom attribute of the same name', () => {
    // GIVEN a namespace map that (wrongly) lists StartTime as a Keyword
    const types = new Map<string, SearchAttributeType>([['StartTime', 'Keyword']]);

    // WHEN StartTime is compared with a time
    const parsed = parseVisibilityQuery('StartTime > "2026-01-02T00:00:00Z"', types);

    // THEN it is compared as a Datetime
    expect(RUNS.filter((r) => matchesQuery(parsed, r)).map((r) => r.WorkflowId)).toEqual(['c', 'e']);
  });

  it('treats a record value of the wrong JS type as unset', () => {
    // GIVEN a run whose Int attribute holds a string
    const runs: VisibilityRecord[] = [{ WorkflowId: 'x', HistoryLength: '12' }];

    // WHEN it is filtered on that attribute
    // THEN no comparison matches, and IS NULL does
    expect(matching('HistoryLength = 12', runs)).toEqual([]);
    expect(matching('HistoryLength IS NULL', runs)).toEqual(['x']);
  });
});

describe('visibility query: unset attributes (SQL three-valued logic)', () => {
  it.each([
    // A comparison with an unset Keyword is unknown, and NOT unknown is still unknown.
    ['CellId != "cell-001"', ['b', 'c', 'e']],
    ['NOT CellId = "cell-001"', ['b', 'c', 'e']],
    ['ParentWorkflowId != "wave-1"', []],
    ['ParentWorkflowId IS NULL OR ParentWorkflowId != "wave-1"', ['a', 'd', 'e']],
    // unknown OR true is true; unknown AND false is false, so NOT of it is true.
    ['CellId = "x" OR WorkflowId = "d"', ['d']],
    ['NOT (CellId = "cell-001" AND WorkflowId = "zzz")', ['a', 'b', 'c', 'd', 'e']],
    // CloseTime is unset while running: range conditions skip running runs.
    ['CloseTime > "2000-01-01T00:00:00Z"', ['b', 'c', 'd']],
    // KeywordList and Text are searched like an index: unset simply does not contain the value.
    ['NOT Tags = "urgent"', ['b', 'c', 'd']],
    ['NOT Notes = "restart"', ['b', 'c', 'd']],
  ])('%s matches %j', (query, expected) => {
    expect(matching(query)).toEqual(expected);
  });

  it.each(['', '   ', '\n\t'])('matches every run for the empty query %j', (query) => {
    expect(matching(query)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

describe('visibility query: queries as the Web UI and CLI build them', () => {
  it.each([
    ['WorkflowType="cellRestart" AND ExecutionStatus="Running"', ['a', 'e']],
    ['StartTime BETWEEN "2026-01-01T00:00:00Z" AND "2026-01-02T00:00:00Z"', ['a', 'b']],
    ['(WorkflowId = "a" OR WorkflowId = "b") AND ExecutionStatus != "Running"', ['b']],
    ['CellId = "cell-002" AND Procedure = "cellRestart"', ['b']],
    ['`WorkflowType`="cellRestart" AND `ExecutionStatus`="Completed"', ['b']],
    ['ExecutionStatus="Running" AND StartTime > "2026-01-02T00:00:00.000Z"', ['e']],
    ['CloseTime < "2026-01-02T00:00:00.000Z" AND ExecutionStatus IN ("Completed", "Terminated")', ['b', 'd']],
    ['WorkflowId STARTS_WITH "a" OR RunId = "run-c"', ['a', 'c']],
    ["TaskQueue = 'waves'", ['d']],
    ['ExecutionTime BETWEEN "2026-01-01T00:00:00Z" AND "2026-01-01T23:59:59Z"', ['a']],
  ])('%s matches %j', (query, expected) => {
    expect(matching(query)).toEqual(expected);
  });
});

describe('visibility query: ORDER BY and the default order', () => {
  it.each([
    // No ORDER BY: running runs first (newest start first), then closed runs by close time, newest first.
    ['', ['e', 'a', 'c', 'b', 'd']],
    ['ORDER BY StartTime', ['d', 'a', 'b', 'e', 'c']],
    ['ORDER BY StartTime ASC', ['d', 'a', 'b', 'e', 'c']],
    ['order by StartTime desc', ['c', 'e', 'b', 'a', 'd']],
    ['ORDER BY WorkflowType ASC, HistoryLength DESC', ['c', 'b', 'a', 'e', 'd']],
    // Unset values go last in both directions; ties (b and c share cell-002) fall back to the default order.
    ['ORDER BY CellId', ['a', 'c', 'b', 'e', 'd']],
    ['ORDER BY CellId DESC', ['e', 'c', 'b', 'a', 'd']],
    // A KeywordList sorts by its smallest entry ascending and its largest descending.
    ['ORDER BY Tags', ['a', 'b', 'e', 'c', 'd']],
    ['ORDER BY Tags DESC', ['e', 'a', 'b', 'c', 'd']],
    ['ORDER BY DryRun, WorkflowId DESC', ['e', 'a', 'b', 'd', 'c']],
    ['ORDER BY CloseTime DESC', ['c', 'b', 'd', 'e', 'a']],
    ['ExecutionStatus = "Running" ORDER BY HistoryLength', ['e', 'a']],
    ['WorkflowType = "cellRestart" ORDER BY `StartTime` DESC', ['e', 'b', 'a']],
  ])('%j lists %j', (query, expected) => {
    expect(listed(query)).toEqual(expected);
  });

  it('breaks a tie in the default order by RunId', () => {
    // GIVEN two closed runs with the same start and close times
    const same = { StartTime: at('2026-01-01T00:00:00Z'), CloseTime: at('2026-01-01T01:00:00Z') };
    const runs: VisibilityRecord[] = [{ ...same, RunId: 'run-2' }, { ...same, RunId: 'run-1' }];

    // WHEN they are sorted without ORDER BY
    const sorted = sortRecords(parseVisibilityQuery('', CUSTOM), runs);

    // THEN the smaller RunId comes first
    expect(sorted.map((r) => r.RunId)).toEqual(['run-1', 'run-2']);
  });

  it('returns a new array and leaves the input in place', () => {
    // GIVEN the runs in their fixture order
    const input = [...RUNS];

    // WHEN they are sorted
    const sorted = sortRecords(parseVisibilityQuery('ORDER BY WorkflowId DESC', CUSTOM), input);

    // THEN the result is another array, and the input keeps its order
    expect(sorted).not.toBe(input);
    expect(sorted.map((r) => r.WorkflowId)).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(input.map((r) => r.WorkflowId)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('parses a query that is only an ORDER BY as having no filter', () => {
    const parsed = parseVisibilityQuery('ORDER BY HistoryLength DESC', CUSTOM);
    expect(parsed.filter).toBeNull();
    expect(parsed.orderBy).toEqual([{ attribute: { name: 'HistoryLength', type: 'Int' }, descending: true }]);
  });
});

describe('visibility query: malformed queries', () => {
  it.each([
    // Syntax: where, and what was expected.
    ['WorkflowId = = "x"', `malformed SQL query: syntax error at position 14 near '=': expected a value (a quoted string, a number, true or false)`],
    ['WorkflowId == "x"', `malformed SQL query: syntax error at position 13 near '=': expected a value (a quoted string, a number, true or false)`],
    ['WorkflowId = "a" AND', 'malformed SQL query: syntax error at the end of the query: expected a condition such as WorkflowId = "x", or ORDER BY'],
    ['(WorkflowId = "a"', `malformed SQL query: syntax error at the end of the query: expected ')' to close the parenthesis`],
    ['WorkflowId = "a")', `malformed SQL query: syntax error at position 17 near ')': expected AND, OR, ORDER BY or the end of the query`],
    ['WorkflowId = "a" "b"', `malformed SQL query: syntax error at position 18 near '"b"': expected AND, OR, ORDER BY or the end of the query`],
    ["WorkflowId = 'a", `malformed SQL query: unterminated string starting at position 14: missing closing '`],
    ['`WorkflowId = "a"', 'malformed SQL query: unterminated `quoted` name starting at position 1: missing closing `'],
    ['WorkflowId IN ()', `malformed SQL query: syntax error at position 16 near ')': expected a value (a quoted string, a number, true or false)`],
    ['WorkflowId IN "a"', `malformed SQL query: syntax error at position 15 near '"a"': expected '(' after IN`],
    ['WorkflowId IN ("a" "b")', `malformed SQL query: syntax error at position 20 near '"b"': expected ',' or ')' to close the IN list`],
    ['StartTime BETWEEN "2026-01-01T00:00:00Z"', 'malformed SQL query: syntax error at the end of the query: expected AND between the two BETWEEN values'],
    ['WorkflowId NOT = "a"', `malformed SQL query: syntax error at position 16 near '=': expected IN, BETWEEN or STARTS_WITH after NOT`],
    ['WorkflowId IS', 'malformed SQL query: syntax error at the end of the query: expected NULL or NOT NULL after IS'],
    ['WorkflowId = -"a"', `malformed SQL query: syntax error at position 15 near '"a"': expected a number after '-'`],
    ['WorkflowId = "a" && WorkflowId = "b"', `malformed SQL query: syntax error at position 18 near '&': unexpected character`],
    ['HistoryLength > 5d', `malformed SQL query: syntax error at position 17 near '5d': a number cannot be followed by a letter (quote values such as "1h")`],
    ['ORDER StartTime', `malformed SQL query: syntax error at position 7 near 'StartTime': expected BY after ORDER`],
    ['ORDER BY', 'malformed SQL query: syntax error at the end of the query: expected a search attribute name to order by'],
    ['ORDER BY StartTime,', 'malformed SQL query: syntax error at the end of the query: expected a search attribute name to order by'],
    ['ORDER BY StartTime DESC ASC', `malformed SQL query: syntax error at position 25 near 'ASC': expected ',' or the end of the query`],
    // Names.
    ['Foo = "x"', 'invalid search attribute: Foo (at position 1)'],
    ['cellId = "x"', 'invalid search attribute: cellId (did you mean CellId?) (at position 1)'],
    ['WorkflowId = "a" ORDER BY Nope', 'invalid search attribute: Nope (at position 27)'],
    ['TemporalFoo IS NULL', 'invalid search attribute: TemporalFoo (at position 1)'],
    ['"a" = WorkflowId', 'invalid expression: the left side of a condition must be a search attribute name, not "a" (at position 1)'],
    ['WorkflowId = "a" AND ExecutionStatus = Running', 'operation is not supported: column name on the right side of comparison expression (did you forget to quote "Running"?) (at position 40)'],
    // Operators Temporal does not support, or not for that type.
    ['WorkflowId LIKE "a%"', `operation is not supported: operator 'LIKE' not supported for Keyword type search attribute 'WorkflowId'; use STARTS_WITH for a prefix match (at position 12)`],
    ['WorkflowId NOT LIKE "a%"', `operation is not supported: operator 'NOT LIKE' not supported for Keyword type search attribute 'WorkflowId'; use STARTS_WITH for a prefix match (at position 16)`],
    ['WorkflowId REGEXP "a.*"', `operation is not supported: operator 'REGEXP' not supported for Keyword type search attribute 'WorkflowId' (at position 12)`],
    ['WorkflowId <=> "a"', `operation is not supported: operator '<=>' not supported for Keyword type search attribute 'WorkflowId' (at position 12)`],
    ['Tags STARTS_WITH "u"', `operation is not supported: operator 'STARTS_WITH' not supported for KeywordList type search attribute 'Tags' (at position 6)`],
    ['Tags > "a"', `operation is not supported: operator '>' not supported for KeywordList type search attribute 'Tags' (at position 6)`],
    ['Notes IN ("a")', `operation is not supported: operator 'IN' not supported for Text type search attribute 'Notes' (at position 7)`],
    ['Attempts STARTS_WITH 1', `operation is not supported: operator 'STARTS_WITH' not supported for Int type search attribute 'Attempts' (at position 10)`],
    ['DryRun BETWEEN false AND true', `invalid expression: cannot do range condition on search attribute 'DryRun' of type Bool (at position 8)`],
    ['Tags NOT BETWEEN "a" AND "b"', `invalid expression: cannot do range condition on search attribute 'Tags' of type KeywordList (at position 10)`],
    ['WorkflowId IS TRUE', `invalid expression: 'IS' operator can only be used as 'IS NULL' or 'IS NOT NULL' (at position 12)`],
    ['WorkflowId = NULL', `invalid expression: NULL is not a value to compare with; use 'WorkflowId IS NULL' or 'WorkflowId IS NOT NULL' (at position 14)`],
    ['WorkflowId', `invalid expression: incomplete expression: 'WorkflowId' is not a condition; compare it with a value (at position 1)`],
    ['true', `operation is not supported: 'true' on its own is not a condition (at position 1)`],
    ['StartTime > NOW() - 1h', 'operation is not supported: function expression NOW(); use an RFC 3339 time such as "2026-01-01T00:00:00Z" (at position 13)'],
    ['lower(WorkflowId) = "a"', 'operation is not supported: function expression lower(WorkflowId) (at position 1)'],
    // Values of the wrong type.
    ['HistoryLength = "12"', 'invalid expression: invalid value type for search attribute HistoryLength of type Int: "12" (type: string) (at position 17)'],
    ['WorkflowId = 5', 'invalid expression: invalid value type for search attribute WorkflowId of type Keyword: 5 (type: int64) (at position 14)'],
    ['DryRun = "true"', 'invalid expression: invalid value type for search attribute DryRun of type Bool: "true" (type: string) (at position 10)'],
    ['Ratio = true', 'invalid expression: invalid value type for search attribute Ratio of type Double: true (type: bool) (at position 9)'],
    ['StartTime > 1.5', 'invalid expression: invalid value type for search attribute StartTime of type Datetime: 1.5 (type: float64) (at position 13)'],
    ['Tags IN ("a", 1)', 'invalid expression: invalid value type for search attribute Tags of type KeywordList: 1 (type: int64) (at position 15)'],
    ['StartTime > "2026-01-01"', `invalid expression: unable to parse datetime '2026-01-01' (expected RFC 3339, e.g. 2026-01-01T00:00:00Z) (at position 13)`],
    ['StartTime > "2026-02-30T00:00:00Z"', `invalid expression: unable to parse datetime '2026-02-30T00:00:00Z' (expected RFC 3339, e.g. 2026-01-01T00:00:00Z) (at position 13)`],
    ['ExecutionStatus = "running"', `invalid expression: invalid ExecutionStatus value 'running' (one of Running, Completed, Failed, Canceled, Terminated, ContinuedAsNew, TimedOut; case-sensitive) (at position 19)`],
    ['ExecutionStatus = 9', 'invalid expression: invalid ExecutionStatus value 9 (one of Running, Completed, Failed, Canceled, Terminated, ContinuedAsNew, TimedOut; case-sensitive) (at position 19)'],
    ['ExecutionDuration > "an hour"', 'invalid expression: invalid duration value for search attribute ExecutionDuration: an hour (nanoseconds, "1h30m", "2d" or "hh:mm:ss") (at position 21)'],
    ['ExecutionDuration > 1.5', 'invalid expression: unexpected value type float64 for search attribute ExecutionDuration (at position 21)'],
    ['Notes = "  "', 'invalid expression: no tokens found filtering on Text type search attribute Notes (at position 9)'],
    // Clauses a list query does not take.
    ['ORDER BY Notes', `operation is not supported: unable to sort by search attribute type Text ('Notes') (at position 10)`],
    ['WorkflowId = "a" GROUP BY ExecutionStatus', `operation is not supported: 'GROUP BY' clause in a list query (CountWorkflowExecutions accepts GROUP BY ExecutionStatus) (at position 18)`],
    ['WorkflowId = "a" LIMIT 10', `operation is not supported: 'LIMIT' clause (at position 18)`],
    ['ORDER BY StartTime LIMIT 1', `operation is not supported: 'LIMIT' clause (at position 20)`],
  ])('rejects %s', (query, message) => {
    expect(errorOf(query)).toBe(message);
  });

  it('rejects nesting too deep to be a real filter, rather than overflowing the stack', () => {
    // GIVEN 101 nested parentheses, and 100 (the limit)
    const tooDeep = `${'('.repeat(101)}WorkflowId = "a"${')'.repeat(101)}`;
    const deepest = `${'('.repeat(100)}WorkflowId = "a"${')'.repeat(100)}`;

    // THEN the first is an ordinary query error and the second still matches
    expect(errorOf(tooDeep)).toBe('malformed SQL query: parentheses and NOT nested more than 100 deep (at position 101)');
    expect(matching(deepest)).toEqual(['a']);
  });

  it('reports the first syntax error before any unknown name', () => {
    // Both problems are present; the whole query is parsed before names are checked, as on Temporal.
    expect(errorOf('Foo = "x" AND AND')).toMatch(/^malformed SQL query: syntax error at position 15 near 'AND'/);
  });
});

describe('visibility query: built-in search attributes', () => {
  it.each<[string, SearchAttributeType]>([
    ['WorkflowId', 'Keyword'],
    ['RunId', 'Keyword'],
    ['WorkflowType', 'Keyword'],
    ['ExecutionStatus', 'Keyword'],
    ['TaskQueue', 'Keyword'],
    ['StartTime', 'Datetime'],
    ['CloseTime', 'Datetime'],
    ['ExecutionTime', 'Datetime'],
    ['ExecutionDuration', 'Int'],
    ['HistoryLength', 'Int'],
    ['HistorySizeBytes', 'Int'],
    ['StateTransitionCount', 'Int'],
    ['ParentWorkflowId', 'Keyword'],
    ['ParentRunId', 'Keyword'],
    ['RootWorkflowId', 'Keyword'],
    ['RootRunId', 'Keyword'],
    ['BuildIds', 'KeywordList'],
    ['TemporalChangeVersion', 'KeywordList'],
    ['TemporalScheduledStartTime', 'Datetime'],
    ['TemporalSchedulePaused', 'Bool'],
  ])('has %s as %s', (name, type) => {
    expect(BUILT_IN_SEARCH_ATTRIBUTES.get(name)).toBe(type);
  });

  it('knows every built-in without any custom attribute registered', () => {
    // GIVEN a namespace with no custom attributes
    const none = new Map<string, SearchAttributeType>();

    // WHEN each built-in is named in a query
    const parse = (name: string): unknown => parseVisibilityQuery(`${name} IS NOT NULL`, none);

    // THEN every one parses, and a custom name does not
    for (const name of BUILT_IN_SEARCH_ATTRIBUTES.keys()) expect(parse(name)).toBeDefined();
    expect(() => parse('CellId')).toThrow('invalid search attribute: CellId');
  });
});
