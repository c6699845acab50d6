import { parseWorkerEnv } from './worker.config';

const base = {
  DATABASE_URL: 'postgresql://localhost/test',
  GNOMON_STEP_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/gnomon-steps',
  GNOMON_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:gnomon-run',
};

describe('worker configuration', () => {
  it('has defaults for everything but where the database, queue and state machine are', () => {
    const env = parseWorkerEnv(base);
    expect(env).toMatchObject({
      WORKER_CONCURRENCY: 8,
      WORKER_VISIBILITY_TIMEOUT_SECONDS: 30,
      WORKER_HEARTBEAT_SECONDS: 20,
    });
    expect(() => parseWorkerEnv({})).toThrow(
      /DATABASE_URL[\s\S]*GNOMON_STEP_QUEUE_URL[\s\S]*GNOMON_STATE_MACHINE_ARN/,
    );
  });

  it('refuses a heartbeat that would let a running step lose its claim', () => {
    expect(() =>
      parseWorkerEnv({
        ...base,
        WORKER_VISIBILITY_TIMEOUT_SECONDS: '5',
        WORKER_HEARTBEAT_SECONDS: '20',
      }),
    ).toThrow(/WORKER_HEARTBEAT_SECONDS: must be below WORKER_VISIBILITY_TIMEOUT_SECONDS/);
    expect(
      parseWorkerEnv({
        ...base,
        WORKER_VISIBILITY_TIMEOUT_SECONDS: '5',
        WORKER_HEARTBEAT_SECONDS: '2',
      }).WORKER_HEARTBEAT_SECONDS,
    ).toBe(2);
  });
});
