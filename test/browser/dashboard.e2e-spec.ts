// The admin dashboard in real Chromium against the platform on its embedded defaults (what
// `npm start` runs), with an OpenAI wire-format fake as the model so runs cost money. The tests
// run in order and build on each other: a platform admin creates a tenant and invites its
// admin; the tenant admin creates an API key; the test starts a run with that key and the
// dashboard follows it, approves it and accounts for it; a viewer can look but not change.
import { startOpenAiFake, type OpenAiFake } from '@gnomon/testing';
import type { Browser, Page } from 'playwright-core';
import { startEmbeddedPlatform, type EmbeddedPlatform } from '../e2e/support/embedded-platform';
import { accessibilityProblems } from './support/accessibility';
import { launchChromium, openVisitor, screenshot, type Visitor } from './support/browser';
import { asVisitor, dollars, publishTask, TERMINAL, waitForRun } from './support/dashboard-api';

jest.setTimeout(120_000);

/** A screenshot of a main page (kept for the docs), which must pass the accessibility look. */
async function mainPage(page: Page, name: string): Promise<void> {
  await screenshot(page, name, true);
  expect({ page: name, problems: await accessibilityProblems(page) }).toEqual({
    page: name,
    problems: [],
  });
}

const MODEL = 'openai/gpt-4o-mini';
const stamp = Date.now().toString(36);
const TENANT = `Acme ${stamp}`;
const ADMIN_EMAIL = `ada-${stamp}@acme.test`;
const VIEWER_EMAIL = `vic-${stamp}@acme.test`;
const PASSWORD = 'correct horse battery staple';

describe('admin dashboard in Chromium', () => {
  let platform: EmbeddedPlatform;
  let model: OpenAiFake;
  let browser: Browser;
  const visitors: Visitor[] = [];
  let operator: Visitor; // the platform admin
  let admin: Visitor; // the tenant's admin (a member)
  let apiKey = '';
  let runId = '';

  const visitor = async () => {
    const opened = await openVisitor(browser, `http://127.0.0.1:${platform.port}`);
    visitors.push(opened);
    return opened;
  };

  beforeAll(async () => {
    // Every model call costs: 20k input and 10k output tokens of gpt-4o-mini = $0.009. The
    // first call of a run waits, so the run page is open while its first step runs.
    model = await startOpenAiFake({
      fallback: {
        kind: 'ok',
        content: 'A post about otters.',
        usage: { inputTokens: 20_000, outputTokens: 10_000 },
        delayMs: 1_500,
      },
    });
    [platform, browser] = await Promise.all([
      startEmbeddedPlatform({ OPENAI_API_KEY: 'sk-browser', OPENAI_BASE_URL: model.url }),
      launchChromium(),
    ]);
    // Another tenant with a task: nobody in Acme may ever see it.
    const other = await platform.api('POST', '/api/v1/admin/tenants', platform.adminKey, {
      name: `Zeta ${stamp}`,
      owner: { email: `zed-${stamp}@zeta.test`, name: 'Zed' },
    });
    const task = await platform.api(
      'POST',
      '/api/v1/tasks',
      platform.adminKey,
      publishTask('zeta-secret-task', MODEL),
      { 'x-gnomon-tenant': other.body.id },
    );
    expect(task.status).toBe(201);
    operator = await visitor();
  });

  afterEach(() => {
    // The browser reported no error on any page of this test (console or uncaught).
    const errors = visitors.flatMap((v) => v.errors.splice(0));
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await model?.close();
  });

  it('signs in a platform admin with the admin key, who creates a tenant', async () => {
    const { page } = operator;
    await page.goto('/admin/');
    await page.getByRole('heading', { name: 'Sign in to Gnomon' }).waitFor();
    await mainPage(page, 'sign-in');
    await page.getByText('Sign in with the platform admin key').click();
    await page.getByLabel('Platform admin key', { exact: true }).fill(platform.adminKey);
    await page.getByRole('button', { name: 'Sign in as platform admin' }).click();
    await page.getByRole('heading', { name: 'Platform overview' }).waitFor();

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Tenants' })
      .click();
    await page.getByRole('button', { name: 'New tenant' }).click();
    const form = page.getByRole('form', { name: 'New tenant' });
    await form.getByRole('button', { name: 'Create tenant' }).click();
    // The form checks with the API's schema before sending anything.
    await form.getByText('Invalid email address').waitFor();
    await form.getByLabel('Tenant name').fill(TENANT);
    await form.getByLabel('Owner email').fill(`owner-${stamp}@acme.test`);
    await form.getByLabel('Owner name').fill('Olga Owner');
    await form.getByRole('button', { name: 'Create tenant' }).click();
    const row = page.getByRole('row', { name: new RegExp(TENANT) });
    await row.waitFor();
    await row.getByRole('button', { name: 'Act in it' }).click();
    await row.getByRole('button', { name: 'Acting in it' }).waitFor();
    await mainPage(page, 'tenants');
  });

  it('invites a tenant admin, who chooses a password from the link and sees only their tenant', async () => {
    const { page } = operator;
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Settings' })
      .click();
    const invite = page.getByRole('form', { name: 'Invite a member' });
    await invite.getByLabel('Email').fill(ADMIN_EMAIL);
    await invite.getByLabel('Name').fill('Ada Admin');
    await invite.getByLabel('Role').selectOption('ADMIN');
    await invite.getByRole('button', { name: 'Invite' }).click();
    const link = await page.getByTestId('secret-value').textContent();
    expect(link).toMatch(/\/admin\/accept\?token=/);
    await page.getByRole('row', { name: new RegExp(ADMIN_EMAIL) }).waitFor();
    await mainPage(page, 'members');

    admin = await visitor();
    await admin.page.goto(link!);
    await admin.page.getByLabel('New password').fill('too short');
    await admin.page.getByLabel('Repeat the password').fill('too short');
    await admin.page.getByRole('button', { name: 'Set password and sign in' }).click();
    await admin.page.getByText('at least 12 characters').first().waitFor();
    await admin.page.getByLabel('New password').fill(PASSWORD);
    await admin.page.getByLabel('Repeat the password').fill(PASSWORD);
    await admin.page.getByRole('button', { name: 'Set password and sign in' }).click();
    await admin.page.getByRole('heading', { name: 'Overview', exact: true }).waitFor();
    await admin.page.getByText(TENANT).first().waitFor();

    // Only their tenant: no platform pages, no other tenant's tasks, and the API agrees.
    const nav = admin.page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Tenants' }).count()).toBe(0);
    await nav.getByRole('link', { name: 'Tasks' }).click();
    await admin.page.getByText('No tasks yet.').waitFor();
    expect(await admin.page.getByText('zeta-secret-task').count()).toBe(0);
    await screenshot(admin.page, 'member-tasks');
    await admin.page.goto('/admin/tenants');
    await admin.page.getByRole('heading', { name: 'Page not found' }).waitFor();
    const tenants = await asVisitor(platform, admin.context, 'GET', '/api/v1/admin/tenants');
    expect(tenants.status).toBe(403);

    // The link was for one use: a second password cannot be set with it.
    const again = await asVisitor(platform, admin.context, 'POST', '/api/v1/auth/accept', {
      token: new URL(link!).searchParams.get('token'),
      password: 'another long password',
    });
    expect(again.status).toBe(400);
  });

  it('creates an API key and shows its secret once', async () => {
    const { page } = admin;
    await page.goto('/admin/settings?tab=keys');
    const form = page.getByRole('form', { name: 'Create an API key' });
    await form.getByLabel('Key name').fill('publisher');
    for (const scope of ['tasks:read', 'tasks:write', 'runs:write', 'approvals:write'])
      await form.getByLabel(scope, { exact: true }).check();
    await form.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByRole('region', { name: 'Secret of publisher' });
    apiKey = (await secret.getByTestId('secret-value').textContent()) ?? '';
    expect(apiKey).toMatch(/^gnm_/);
    await secret.getByRole('button', { name: 'Copy' }).click();
    await secret.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(apiKey);
    await mainPage(page, 'api-key-secret');

    await secret.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByRole('row', { name: /publisher/ }).waitFor();
    expect(await page.content()).not.toContain(apiKey);
    await page.reload();
    await page.getByRole('row', { name: /publisher/ }).waitFor();
    expect(await page.content()).not.toContain(apiKey);
    const me = await platform.api('GET', '/api/v1/me', apiKey);
    expect(me.status).toBe(200);
  });

  it('follows a run started with that key through the API, live, on the run page', async () => {
    const task = await platform.api('POST', '/api/v1/tasks', apiKey, publishTask('post', MODEL));
    expect(task.status).toBe(201);
    const started = await platform.api('POST', '/api/v1/runs', apiKey, {
      taskId: 'post',
      input: { topic: 'otters' },
    });
    expect(started.status).toBe(201);
    runId = started.body.id;

    const { page } = admin;
    await page.goto(`/admin/runs/${runId}`);
    // A marker that would vanish with a reload: everything below arrives by the event stream.
    await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same page'));
    const steps = page.getByRole('list', { name: 'Steps' });
    const draft = steps.getByRole('listitem').filter({ hasText: 'draft' });
    await draft.filter({ hasText: /running/i }).waitFor();
    await draft.filter({ hasText: /succeeded/i }).waitFor();
    const review = steps.getByRole('listitem').filter({ hasText: 'review' });
    await review.filter({ hasText: /awaiting approval/i }).waitFor();
    await page.getByText('This run waits for an approval.').waitFor();
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe(
      'same page',
    );
    expect(await draft.textContent()).toMatch(/30,000 tok/);

    // The step's input and output, on demand.
    await draft.getByRole('button', { name: 'draft' }).click();
    const detail = page.getByRole('region', { name: 'Step draft details' });
    await detail.getByText('A post about otters.').waitFor();
    await mainPage(page, 'run-live');
  });

  it('approves the pending approval from the Approvals page, and the run finishes', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Open the approvals' }).click();
    const card = page.getByRole('article').filter({ hasText: 'Publish the post on otters?' });
    await card.getByText(/post v1/).waitFor(); // the run's context: task and version
    await card.getByRole('button', { name: 'Reject' }).click();
    await card.getByText('say why you reject it').waitFor(); // the reason is required to reject
    await mainPage(page, 'approvals');
    await card.getByLabel('Reason').fill('looks good');
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Nothing waits for a decision.').waitFor();

    const done = await waitForRun(platform, apiKey, runId, (run) => TERMINAL.includes(run.status));
    expect(done.status).toBe('SUCCEEDED');
    await page.goto(`/admin/runs/${runId}`);
    const steps = page.getByRole('list', { name: 'Steps' });
    await steps
      .getByRole('listitem')
      .filter({ hasText: 'publish' })
      .filter({ hasText: /succeeded/i })
      .waitFor();
    await page.getByText('Finished').waitFor();
    await page.getByText(dollars(done.usage.costMicros)).first().waitFor();
    await mainPage(page, 'run-finished');
  });

  it('shows the run’s cost in the spend chart', async () => {
    const run = await platform.api('GET', `/api/v1/runs/${runId}`, apiKey);
    const cost = run.body.usage.costMicros as string;
    expect(Number(cost)).toBe(18_000); // two calls of $0.009
    const { page } = admin;
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Usage' })
      .click();
    const chart = page.getByRole('table', { name: 'Spend by day' });
    const today = new Date().toISOString().slice(0, 10);
    // The chart's data (its accessible table) has today's bar at the run's cost.
    const bar = chart.getByRole('row', { name: new RegExp(today) });
    await bar.waitFor({ state: 'attached' });
    expect(await bar.textContent()).toContain('$0.018');
    const total = page.getByText('Spend in range').locator('..');
    expect(await total.textContent()).toContain(dollars(cost));
    expect(await page.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(0);
    await page
      .getByRole('table', { name: 'By model' })
      .getByRole('row', { name: /gpt-4o-mini/ })
      .waitFor();
    await mainPage(page, 'usage');
  });

  it('lets a viewer look at everything but change nothing', async () => {
    // The tenant admin invites a viewer (through the API here; the UI path was shown above).
    const invited = await asVisitor(platform, admin.context, 'POST', '/api/v1/members', {
      email: VIEWER_EMAIL,
      name: 'Vic Viewer',
      role: 'VIEWER',
    });
    expect(invited.status).toBe(201);
    const second = await platform.api('POST', '/api/v1/runs', apiKey, {
      taskId: 'post',
      input: { topic: 'badgers' },
    });
    await waitForRun(platform, apiKey, second.body.id, (run) => run.status === 'AWAITING_APPROVAL');

    const viewer = await visitor();
    const { page } = viewer;
    await page.goto(invited.body.invitation.url);
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', exact: true }).waitFor();

    await page.goto('/admin/approvals');
    const card = page.getByRole('article').filter({ hasText: 'Publish the post on badgers?' });
    await card.waitFor();
    expect(await card.getByRole('button').count()).toBe(0);
    await page.goto(`/admin/runs/${second.body.id}`);
    await page.getByRole('list', { name: 'Steps' }).getByRole('listitem').first().waitFor();
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    await screenshot(page, 'viewer-run');
    await page.goto('/admin/tasks');
    await page.getByRole('link', { name: 'post' }).click();
    await page.getByRole('heading', { name: 'Task post' }).waitFor();
    expect(await page.getByRole('form', { name: 'Start a run' }).count()).toBe(0);
    await page.goto('/admin/settings');
    await page.getByRole('table', { name: 'Members' }).waitFor();
    expect(await page.getByRole('form', { name: 'Invite a member' }).count()).toBe(0);
    expect(await page.getByRole('tab', { name: 'API keys' }).count()).toBe(0);
    expect(await page.getByRole('combobox', { name: /Role of/ }).count()).toBe(0);

    // And the API refuses what the page does not offer.
    const approvals = await asVisitor(
      platform,
      viewer.context,
      'GET',
      '/api/v1/approvals?status=pending',
    );
    const pending = approvals.body.items[0].id as string;
    const approve = await asVisitor(
      platform,
      viewer.context,
      'POST',
      `/api/v1/approvals/${pending}/approve`,
      {},
    );
    expect(approve.status).toBe(403);
    const cancel = await asVisitor(
      platform,
      viewer.context,
      'POST',
      `/api/v1/runs/${second.body.id}/cancel`,
      {},
    );
    expect(cancel.status).toBe(403);

    // Signing out ends the session: the page asks to sign in, and the old cookie is refused.
    const before = await viewer.context.cookies();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in to Gnomon' }).waitFor();
    const session = before.find((cookie) => cookie.name === 'gnomon_session')!;
    const stale = await fetch(`http://127.0.0.1:${platform.port}/api/v1/auth/session`, {
      headers: { cookie: `gnomon_session=${session.value}` },
    });
    expect(stale.status).toBe(401);
  });

  it('renders every main page for the platform admin', async () => {
    const { page } = operator;
    const nav = page.getByRole('navigation', { name: 'Main' });
    const pages: [string, string, string][] = [
      ['Overview', 'Platform overview', 'overview-platform'],
      ['Providers', 'Providers', 'providers'],
      ['Runs', 'Runs', 'runs'],
      ['Tasks', 'Tasks', 'tasks'],
      ['Audit log', 'Audit log', 'audit-log'],
    ];
    for (const [link, heading, name] of pages) {
      await nav.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await page.getByRole('status').filter({ hasText: 'Loading' }).waitFor({ state: 'detached' });
      await mainPage(page, name);
    }
    await nav.getByRole('link', { name: 'Tasks', exact: true }).click();
    await page.getByRole('link', { name: 'post' }).click();
    await page.getByRole('form', { name: 'Start a run' }).getByLabel('topic').waitFor();
    await mainPage(page, 'task');
    await nav.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('tab', { name: 'Limits and budget' }).click();
    const budget = page.getByRole('form', { name: 'Budget' });
    await budget.getByLabel('Monthly limit (USD)').fill('25');
    await budget.getByRole('button', { name: 'Save budget' }).click();
    await budget.getByText(/Tenant, monthly: \$0\.0\d+ spent of \$25\.00/).waitFor();
    await mainPage(page, 'settings-limits');

    // The tenant's own overview shows its budget use against that limit.
    await admin.page.goto('/admin/');
    await admin.page.getByRole('meter', { name: 'Budget used' }).waitFor();
    await mainPage(admin.page, 'overview-tenant');
  });

  it('has an accessibility look that finds what it looks for', async () => {
    const probe = await operator.context.newPage();
    await probe.setContent(
      '<p style="color:#999">faint text</p><input type="text"><button></button><p>fine</p>',
    );
    const problems = await accessibilityProblems(probe);
    await screenshot(probe, 'accessibility-probe');
    await probe.close();
    expect(problems).toEqual([
      expect.stringMatching(/^contrast 2\.\d+: <p> "faint text"$/),
      'unlabelled <input> ',
      '<button> without text',
    ]);
  });
});
