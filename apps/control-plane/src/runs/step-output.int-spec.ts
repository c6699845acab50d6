import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  awsServiceSettings,
  AwsEnv,
  createS3Client,
  startLocalAwsEndpoint,
  type LocalAwsEndpoint,
} from '@gnomon/aws';
import { randomUUID } from 'node:crypto';
import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';
import { RunFixtures } from './run-fixtures';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

const BUCKET = 'gnomon-artifacts';

/** An output well above the worker's 32 KiB inline limit, with text that needs JSON escapes. */
const LARGE_OUTPUT = {
  text: 'ünïcødé "quoted" \\ line\n'.repeat(2_000),
  items: Array.from({ length: 500 }, (_, i) => ({ i, ok: i % 2 === 0 })),
};

describe('step output (GET /api/v1/runs/{id}/steps/{stepId}/output)', () => {
  let aws: LocalAwsEndpoint;
  let s3: S3Client;
  let h: ControlPlaneHarness;
  let fixtures: RunFixtures;

  beforeAll(async () => {
    aws = await startLocalAwsEndpoint({ buckets: [BUCKET] });
    h = await ControlPlaneHarness.start({
      AWS_ENDPOINT_URL: aws.endpoint,
      GNOMON_ARTIFACT_BUCKET: BUCKET,
    });
    s3 = createS3Client(awsServiceSettings(AwsEnv.parse({ AWS_ENDPOINT_URL: aws.endpoint }), 'S3'));
    fixtures = new RunFixtures(h);
  });
  afterAll(async () => {
    s3?.destroy();
    await h?.close();
    await aws?.stop();
  });

  const expectProblem = (res: HttpResult, status: number, code: string) => {
    expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  };

  const put = (key: string, body: string) =>
    s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        Body: body,
        ContentType: 'application/json',
      }),
    );

  /** Where the worker's OutputStore puts the output of step `seq` of a run. */
  const outputKey = (tenantId: string, runId: string, seq: number) =>
    `tenants/${tenantId}/runs/${runId}/steps/${seq}/output.json`;

  /** A run with an inline output (seq 1), an offloaded one (seq 2) and none yet (seq 3). */
  const world = async (tenant: Tenant) => {
    const task = await fixtures.task(tenant.id);
    const run = await fixtures.run(tenant.id, task);
    const inline = await fixtures.step(tenant.id, run, {
      seq: 1,
      stepKey: 'plan',
      output: { answer: 42, list: [1, 'two', null] },
    });
    const key = outputKey(tenant.id, run, 2);
    await put(key, JSON.stringify(LARGE_OUTPUT));
    const offloaded = await fixtures.step(tenant.id, run, {
      seq: 2,
      stepKey: 'write',
      output: null,
      outputRef: key,
    });
    const pending = await fixtures.step(tenant.id, run, {
      seq: 3,
      stepKey: 'review',
      status: 'RUNNING',
    });
    return { run, inline, offloaded, pending, key };
  };

  const output = (
    tenant: Tenant,
    run: string,
    step: string,
    options: { key?: string; as?: string } = {},
  ) =>
    h.request('GET', `/api/v1/runs/${run}/steps/${step}/output`, {
      key: options.key ?? tenant.key,
      tenant: options.as,
    });

  it('answers an inline output as the JSON it is', async () => {
    const tenant = await h.createTenant();
    const { run, inline } = await world(tenant);
    const res = await output(tenant, run, inline);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.body).toEqual({ answer: 42, list: [1, 'two', null] });
  });

  it('reads an offloaded output from the artifact bucket, byte for byte', async () => {
    const tenant = await h.createTenant();
    const { run, offloaded } = await world(tenant);
    const res = await output(tenant, run, offloaded);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const expected = JSON.stringify(LARGE_OUTPUT);
    expect(Buffer.byteLength(expected)).toBeGreaterThan(32 * 1024);
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(expected));
    expect(res.body).toEqual(LARGE_OUTPUT);
  });

  it('answers null for a step without an output yet', async () => {
    const tenant = await h.createTenant();
    const { run, pending } = await world(tenant);
    const res = await output(tenant, run, pending);
    expect(res.status).toBe(200);
    expect(res.body).toBeNull();
  });

  it('404 when the offloaded object is gone (e.g. expired by a lifecycle rule)', async () => {
    const tenant = await h.createTenant();
    const task = await fixtures.task(tenant.id);
    const run = await fixtures.run(tenant.id, task);
    const step = await fixtures.step(tenant.id, run, {
      seq: 1,
      stepKey: 'write',
      outputRef: outputKey(tenant.id, run, 1), // never written
    });
    const res = await output(tenant, run, step);
    expectProblem(res, 404, 'not_found');
    expect(res.body.detail).toBe("the step's output is no longer stored");
  });

  it("never reads an object outside the run's own prefix, even if a row pointed there", async () => {
    const [a, b] = [await h.createTenant(), await h.createTenant()];
    const bWorld = await world(b);
    const task = await fixtures.task(a.id);
    const run = await fixtures.run(a.id, task);
    const step = await fixtures.step(a.id, run, { seq: 1, stepKey: 'x', outputRef: bWorld.key });
    const res = await output(a, run, step);
    expectProblem(res, 500, 'internal_error');
    expect(JSON.stringify(res.body)).not.toContain('quoted');
  });

  describe('cross-tenant and unknown ids → 404, nothing revealed', () => {
    it("B asking for A's steps (inline or offloaded) gets 404", async () => {
      const [a, b] = [await h.createTenant(), await h.createTenant()];
      const aWorld = await world(a);
      for (const step of [aWorld.inline, aWorld.offloaded]) {
        const res = await output(b, aWorld.run, step);
        expectProblem(res, 404, 'not_found');
        expect(JSON.stringify(res.body)).not.toMatch(/answer|quoted/);
      }
    });

    it("a step of another run (even B's own run with A's step) is 404", async () => {
      const [a, b] = [await h.createTenant(), await h.createTenant()];
      const [aWorld, bWorld] = [await world(a), await world(b)];
      expectProblem(await output(b, bWorld.run, aWorld.inline), 404, 'not_found');
      const otherRun = await fixtures.run(a.id, await fixtures.task(a.id));
      expectProblem(await output(a, otherRun, aWorld.inline), 404, 'not_found');
    });

    it('unknown run and step ids are 404; malformed ones are 400', async () => {
      const tenant = await h.createTenant();
      const { run, inline } = await world(tenant);
      expectProblem(await output(tenant, run, randomUUID()), 404, 'not_found');
      expectProblem(await output(tenant, randomUUID(), inline), 404, 'not_found');
      const bad = await output(tenant, run, 'step-1');
      expectProblem(bad, 400, 'validation_failed');
      expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['params.stepId']);
    });

    it("naming A in X-Gnomon-Tenant with B's key is 403; the platform admin may read it", async () => {
      const [a, b] = [await h.createTenant(), await h.createTenant()];
      const aWorld = await world(a);
      const res = await output(b, aWorld.run, aWorld.inline, { as: a.id });
      expectProblem(res, 403, 'forbidden');
      const admin = await output(a, aWorld.run, aWorld.inline, { key: h.adminKey, as: a.id });
      expect(admin.body).toEqual({ answer: 42, list: [1, 'two', null] });
    });
  });

  it('needs runs:read', async () => {
    const tenant = await h.createTenant();
    const { run, inline } = await world(tenant);
    const key = await h.request('POST', '/api/v1/api-keys', {
      key: tenant.key,
      body: { name: 'usage only', scopes: ['usage:read'] },
    });
    expectProblem(await output(tenant, run, inline, { key: key.body.secret }), 403, 'forbidden');
  });

  // Last: it stops the local S3 endpoint.
  it('503 when the artifact bucket does not answer; inline outputs still work', async () => {
    const tenant = await h.createTenant();
    const { run, inline, offloaded } = await world(tenant);
    await aws.stop();
    const res = await output(tenant, run, offloaded);
    expectProblem(res, 503, 'service_unavailable');
    expect((await output(tenant, run, inline)).status).toBe(200);
  });
});
