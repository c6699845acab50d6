import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  CreateTaskRequest,
  PageQuery,
  TaskDefinitionJsonSchema,
  TaskListQuery,
  TaskParams,
  TaskVersionParams,
  TaskVersionView,
  TaskView,
  UpdateTaskRequest,
  pageOf,
} from '@gnomon/contracts';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import { API_V1 } from '../platform/routes';
import { TaskService } from './task.service';

const TAG = 'Tasks';

/** `{id}` is the task's id or its name. */
@Controller(`${API_V1}/tasks`)
export class TaskController {
  constructor(private readonly tasks: TaskService) {}

  @Post()
  @HttpCode(201)
  @Endpoint({
    access: 'tasks:write',
    tenantScoped: true,
    tag: TAG,
    summary: 'Create a task (its version 1)',
    body: CreateTaskRequest,
    response: TaskView,
    status: 201,
  })
  create(@Caller() caller: TenantCaller, @Body() body: CreateTaskRequest) {
    return this.tasks.create(caller, body);
  }

  @Get()
  @Endpoint({
    access: 'tasks:read',
    tenantScoped: true,
    tag: TAG,
    summary: 'List tasks with their current definitions, newest first',
    query: TaskListQuery,
    response: pageOf(TaskView),
  })
  list(@Caller() caller: TenantCaller, @Query() query: TaskListQuery) {
    return this.tasks.list(caller, query);
  }

  /** Not tenant data: any authenticated caller may read it. "schema" is no task's name. */
  @Get('schema')
  @Endpoint({
    access: 'authenticated',
    tag: TAG,
    summary: 'The JSON Schema of the task definition language',
    response: TaskDefinitionJsonSchema,
  })
  schema() {
    return this.tasks.schema();
  }

  @Get(':id')
  @Endpoint({
    access: 'tasks:read',
    tenantScoped: true,
    tag: TAG,
    summary: 'Get a task (by id or name) with its current definition',
    params: TaskParams,
    response: TaskView,
  })
  get(@Caller() caller: TenantCaller, @Param() params: TaskParams) {
    return this.tasks.get(caller.tenant, params.id);
  }

  @Put(':id')
  @Endpoint({
    access: 'tasks:write',
    tenantScoped: true,
    tag: TAG,
    summary: 'Write a new version of a task (versions are immutable)',
    params: TaskParams,
    body: UpdateTaskRequest,
    response: TaskView,
  })
  update(
    @Caller() caller: TenantCaller,
    @Param() params: TaskParams,
    @Body() body: UpdateTaskRequest,
  ) {
    return this.tasks.update(caller, params.id, body);
  }

  @Get(':id/versions')
  @Endpoint({
    access: 'tasks:read',
    tenantScoped: true,
    tag: TAG,
    summary: "List a task's versions, newest first",
    params: TaskParams,
    query: PageQuery,
    response: pageOf(TaskVersionView),
  })
  versions(@Caller() caller: TenantCaller, @Param() params: TaskParams, @Query() query: PageQuery) {
    return this.tasks.versions(caller, params.id, query);
  }

  @Get(':id/versions/:version')
  @Endpoint({
    access: 'tasks:read',
    tenantScoped: true,
    tag: TAG,
    summary: 'Get one version of a task',
    params: TaskVersionParams,
    response: TaskVersionView,
  })
  version(@Caller() caller: TenantCaller, @Param() params: TaskVersionParams) {
    return this.tasks.version(caller.tenant, params.id, params.version);
  }
}
