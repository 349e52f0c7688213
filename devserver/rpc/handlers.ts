import type { CallContext, Engine } from '../engine/engine';
import type { opsv, wsv } from '../engine/proto';

/** One RPC's implementation: the decoded request in, a response (or its promise) out. */
export type Handler = (engine: Engine, request: never, call: CallContext) => object | Promise<object>;

type Handlers = Record<string, Handler>;

/**
 * The WorkflowService methods the dev server implements. Every other method of the service
 * answers UNIMPLEMENTED, naming the method.
 */
export const workflowServiceHandlers: Handlers = {
  GetSystemInfo: (engine) => engine.getSystemInfo(),
  GetClusterInfo: (engine) => engine.getClusterInfo(),
  DescribeNamespace: (engine, req: wsv.IDescribeNamespaceRequest) => engine.describeNamespace(req),
  ListNamespaces: (engine, req: wsv.IListNamespacesRequest) => engine.listNamespaces(req),
  GetSearchAttributes: (engine) => engine.getSearchAttributes(),
  ShutdownWorker: (engine, req: wsv.IShutdownWorkerRequest) => engine.shutdownWorker(req),
  // Sticky queues are declined, so there is nothing to reset.
  ResetStickyTaskQueue: () => ({}),

  StartWorkflowExecution: (engine, req: wsv.IStartWorkflowExecutionRequest) => engine.startWorkflowExecution(req),
  SignalWithStartWorkflowExecution: (engine, req: wsv.ISignalWithStartWorkflowExecutionRequest) =>
    engine.signalWithStartWorkflowExecution(req),
  SignalWorkflowExecution: (engine, req: wsv.ISignalWorkflowExecutionRequest) => engine.signalWorkflowExecution(req),
  RequestCancelWorkflowExecution: (engine, req: wsv.IRequestCancelWorkflowExecutionRequest) =>
    engine.requestCancelWorkflowExecution(req),
  TerminateWorkflowExecution: (engine, req: wsv.ITerminateWorkflowExecutionRequest) => engine.terminateWorkflowExecution(req),
  ResetWorkflowExecution: (engine, req: wsv.IResetWorkflowExecutionRequest) => engine.resetWorkflowExecution(req),

  PollWorkflowTaskQueue: (engine, req: wsv.IPollWorkflowTaskQueueRequest, call) => engine.pollWorkflowTaskQueue(req, call),
  RespondWorkflowTaskCompleted: (engine, req: wsv.IRespondWorkflowTaskCompletedRequest) =>
    engine.respondWorkflowTaskCompleted(req),
  RespondWorkflowTaskFailed: (engine, req: wsv.IRespondWorkflowTaskFailedRequest) => engine.respondWorkflowTaskFailed(req),
  QueryWorkflow: (engine, req: wsv.IQueryWorkflowRequest, call) => engine.queryWorkflow(req, call),
  RespondQueryTaskCompleted: (engine, req: wsv.IRespondQueryTaskCompletedRequest) => engine.respondQueryTaskCompleted(req),
  UpdateWorkflowExecution: (engine, req: wsv.IUpdateWorkflowExecutionRequest, call) => engine.updateWorkflowExecution(req, call),
  PollWorkflowExecutionUpdate: (engine, req: wsv.IPollWorkflowExecutionUpdateRequest, call) =>
    engine.pollWorkflowExecutionUpdate(req, call),
  ExecuteMultiOperation: (engine, req: wsv.IExecuteMultiOperationRequest, call) => engine.executeMultiOperation(req, call),

  PollActivityTaskQueue: (engine, req: wsv.IPollActivityTaskQueueRequest, call) => engine.pollActivityTaskQueue(req, call),
  RecordActivityTaskHeartbeat: (engine, req: wsv.IRecordActivityTaskHeartbeatRequest) => engine.recordActivityTaskHeartbeat(req),
  RecordActivityTaskHeartbeatById: (engine, req: wsv.IRecordActivityTaskHeartbeatByIdRequest) =>
    engine.recordActivityTaskHeartbeatById(req),
  RespondActivityTaskCompleted: (engine, req: wsv.IRespondActivityTaskCompletedRequest) =>
    engine.respondActivityTaskCompleted(req),
  RespondActivityTaskCompletedById: (engine, req: wsv.IRespondActivityTaskCompletedByIdRequest) =>
    engine.respondActivityTaskCompletedById(req),
  RespondActivityTaskFailed: (engine, req: wsv.IRespondActivityTaskFailedRequest) => engine.respondActivityTaskFailed(req),
  RespondActivityTaskFailedById: (engine, req: wsv.IRespondActivityTaskFailedByIdRequest) =>
    engine.respondActivityTaskFailedById(req),
  RespondActivityTaskCanceled: (engine, req: wsv.IRespondActivityTaskCanceledRequest) => engine.respondActivityTaskCanceled(req),
  RespondActivityTaskCanceledById: (engine, req: wsv.IRespondActivityTaskCanceledByIdRequest) =>
    engine.respondActivityTaskCanceledById(req),

  PauseActivity: (engine, req: wsv.IPauseActivityRequest) => engine.pauseActivity(req),
  UnpauseActivity: (engine, req: wsv.IUnpauseActivityRequest) => engine.unpauseActivity(req),
  ResetActivity: (engine, req: wsv.IResetActivityRequest) => engine.resetActivity(req),
  UpdateActivityOptions: (engine, req: wsv.IUpdateActivityOptionsRequest) => engine.updateActivityOptions(req),

  DescribeWorkflowExecution: (engine, req: wsv.IDescribeWorkflowExecutionRequest) => engine.describeWorkflowExecution(req),
  GetWorkflowExecutionHistory: (engine, req: wsv.IGetWorkflowExecutionHistoryRequest, call) =>
    engine.getWorkflowExecutionHistory(req, call),
  GetWorkflowExecutionHistoryReverse: (engine, req: wsv.IGetWorkflowExecutionHistoryReverseRequest) =>
    engine.getWorkflowExecutionHistoryReverse(req),
  DescribeTaskQueue: (engine, req: wsv.IDescribeTaskQueueRequest) => engine.describeTaskQueue(req),
  ListWorkflowExecutions: (engine, req: wsv.IListWorkflowExecutionsRequest) => engine.listWorkflowExecutions(req),
  CountWorkflowExecutions: (engine, req: wsv.ICountWorkflowExecutionsRequest) => engine.countWorkflowExecutions(req),

  CreateSchedule: (engine, req: wsv.ICreateScheduleRequest) => engine.schedules.createSchedule(req),
  DescribeSchedule: (engine, req: wsv.IDescribeScheduleRequest) => engine.schedules.describeSchedule(req),
  UpdateSchedule: (engine, req: wsv.IUpdateScheduleRequest) => engine.schedules.updateSchedule(req),
  PatchSchedule: (engine, req: wsv.IPatchScheduleRequest) => engine.schedules.patchSchedule(req),
  DeleteSchedule: (engine, req: wsv.IDeleteScheduleRequest) => engine.schedules.deleteSchedule(req),
  ListSchedules: (engine, req: wsv.IListSchedulesRequest) => engine.schedules.listSchedules(req),
  ListScheduleMatchingTimes: (engine, req: wsv.IListScheduleMatchingTimesRequest) =>
    engine.schedules.listScheduleMatchingTimes(req),

  DescribeWorkerDeployment: (engine, req: wsv.IDescribeWorkerDeploymentRequest) => engine.deployments.describeWorkerDeployment(req),
  DescribeWorkerDeploymentVersion: (engine, req: wsv.IDescribeWorkerDeploymentVersionRequest) =>
    engine.deployments.describeWorkerDeploymentVersion(req),
  ListWorkerDeployments: (engine, req: wsv.IListWorkerDeploymentsRequest) => engine.deployments.listWorkerDeployments(req),
  SetWorkerDeploymentCurrentVersion: (engine, req: wsv.ISetWorkerDeploymentCurrentVersionRequest) =>
    engine.deployments.setWorkerDeploymentCurrentVersion(req),
  SetWorkerDeploymentRampingVersion: (engine, req: wsv.ISetWorkerDeploymentRampingVersionRequest) =>
    engine.deployments.setWorkerDeploymentRampingVersion(req),
  DeleteWorkerDeployment: (engine, req: wsv.IDeleteWorkerDeploymentRequest) => engine.deployments.deleteWorkerDeployment(req),
  DeleteWorkerDeploymentVersion: (engine, req: wsv.IDeleteWorkerDeploymentVersionRequest) =>
    engine.deployments.deleteWorkerDeploymentVersion(req),
  UpdateWorkerDeploymentVersionMetadata: (engine, req: wsv.IUpdateWorkerDeploymentVersionMetadataRequest) =>
    engine.deployments.updateWorkerDeploymentVersionMetadata(req),
};

/** The OperatorService methods the dev server implements. */
export const operatorServiceHandlers: Handlers = {
  ListSearchAttributes: (engine, req: opsv.IListSearchAttributesRequest) => engine.listSearchAttributes(req),
  AddSearchAttributes: (engine, req: opsv.IAddSearchAttributesRequest) => engine.addSearchAttributes(req),
};

/** Implemented methods by service short name; TestService is wired by the server in time-skipping mode (`rpc/test-service.ts`). */
export const handlersByService: Record<string, Handlers> = {
  WorkflowService: workflowServiceHandlers,
  OperatorService: operatorServiceHandlers,
  TestService: {},
};
