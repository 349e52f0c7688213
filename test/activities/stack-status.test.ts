import { StackStatus } from '../../activities/stack-status';

const flags = (name: string) => {
  const s = new StackStatus(name);
  return { inProgress: s.isInProgress, failure: s.isFailure, rolledBack: s.isRolledBack, success: s.isDeploySuccess, deleted: s.isDeleted, updatable: s.isUpdatable };
};

describe('StackStatus', () => {
  test.each([
    ['CREATE_IN_PROGRESS', { inProgress: true, failure: false, rolledBack: false, success: false, deleted: false, updatable: false }],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', { inProgress: true, failure: false, rolledBack: false, success: false, deleted: false, updatable: false }],
    ['CREATE_COMPLETE', { inProgress: false, failure: false, rolledBack: false, success: true, deleted: false, updatable: true }],
    ['UPDATE_COMPLETE', { inProgress: false, failure: false, rolledBack: false, success: true, deleted: false, updatable: true }],
    ['UPDATE_ROLLBACK_COMPLETE', { inProgress: false, failure: false, rolledBack: true, success: false, deleted: false, updatable: true }],
    ['ROLLBACK_COMPLETE', { inProgress: false, failure: false, rolledBack: true, success: false, deleted: false, updatable: false }],
    ['UPDATE_ROLLBACK_FAILED', { inProgress: false, failure: true, rolledBack: false, success: false, deleted: false, updatable: false }],
    ['DELETE_FAILED', { inProgress: false, failure: true, rolledBack: false, success: false, deleted: false, updatable: false }],
    ['DELETE_COMPLETE', { inProgress: false, failure: false, rolledBack: false, success: false, deleted: true, updatable: false }],
    ['REVIEW_IN_PROGRESS', { inProgress: false, failure: false, rolledBack: false, success: false, deleted: false, updatable: false }],
  ])('classifies %s', (name, expected) => {
    // GIVEN / WHEN a status / THEN its family
    expect(flags(name)).toEqual(expected);
  });

  test('treats a stack CloudFormation no longer describes as deleted and stable', () => {
    // GIVEN the not-found status
    const status = StackStatus.NOT_FOUND;

    // WHEN / THEN it counts as deleted, not as running
    expect(status.isNotFound).toBe(true);
    expect(status.isDeleted).toBe(true);
    expect(status.isStable).toBe(true);
  });

  test('shows its reason next to the name', () => {
    // GIVEN a status with a reason / WHEN printed / THEN both show
    expect(new StackStatus('UPDATE_ROLLBACK_COMPLETE', 'The following resource(s) failed to update: [Service]').toString()).toBe(
      'UPDATE_ROLLBACK_COMPLETE (The following resource(s) failed to update: [Service])',
    );
    expect(new StackStatus('CREATE_COMPLETE').toString()).toBe('CREATE_COMPLETE');
  });
});
