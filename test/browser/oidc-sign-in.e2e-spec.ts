// Signing in to the dashboard through an OpenID Connect issuer (a local fake speaking the real
// protocol), in Chromium, against the platform on its embedded defaults.
import { OidcIssuerFake } from '@gnomon/testing';
import type { Browser } from 'playwright-core';
import { startEmbeddedPlatform, type EmbeddedPlatform } from '../e2e/support/embedded-platform';
import { launchChromium, openVisitor, screenshot, type Visitor } from './support/browser';

jest.setTimeout(120_000);

const CLIENT = { id: 'gnomon-dashboard', secret: 'browser-test-client-secret' };
const stamp = Date.now().toString(36);
const TENANT = `Sso ${stamp}`;
const OWNER = `sso-owner-${stamp}@sso.test`;

describe('single sign-on to the dashboard', () => {
  let issuer: OidcIssuerFake;
  let platform: EmbeddedPlatform;
  let browser: Browser;
  const visitors: Visitor[] = [];

  beforeAll(async () => {
    issuer = await OidcIssuerFake.start(CLIENT);
    [platform, browser] = await Promise.all([
      startEmbeddedPlatform(
        {
          GNOMON_OIDC_ISSUER: issuer.issuer,
          GNOMON_OIDC_CLIENT_ID: CLIENT.id,
          GNOMON_OIDC_CLIENT_SECRET: CLIENT.secret,
        },
        {
          envFor: (port) => ({
            GNOMON_OIDC_REDIRECT_URI: `http://127.0.0.1:${port}/api/v1/auth/oidc/callback`,
          }),
        },
      ),
      launchChromium(),
    ]);
    const tenant = await platform.api('POST', '/api/v1/admin/tenants', platform.adminKey, {
      name: TENANT,
      owner: { email: OWNER, name: 'Sam Owner' },
    });
    expect(tenant.status).toBe(201);
  });

  afterEach(() => {
    expect(visitors.flatMap((v) => v.errors.splice(0))).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await issuer?.close();
  });

  const visit = async () => {
    const opened = await openVisitor(browser, `http://127.0.0.1:${platform.port}`);
    visitors.push(opened);
    return opened.page;
  };

  it('signs a member in through the issuer, into their tenant', async () => {
    const page = await visit();
    await page.goto('/admin/');
    const button = page.getByRole('link', { name: /^Sign in with 127\.0\.0\.1:\d+$/ });
    await button.waitFor();
    issuer.willSignIn({ sub: 'sam-1', email: OWNER, email_verified: true });
    await button.click();
    await page.getByRole('heading', { name: 'Overview', exact: true }).waitFor();
    await page.getByText(TENANT).first().waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/');
    await screenshot(page, 'oidc-signed-in');
  });

  it('says why when the issuer’s person is no member of any tenant', async () => {
    const page = await visit();
    await page.goto('/admin/');
    issuer.willSignIn({ sub: 'stranger', email: `nobody-${stamp}@sso.test`, email_verified: true });
    await page.getByRole('link', { name: /^Sign in with / }).click();
    await page
      .getByText('No member of any tenant has the email address you signed in with.')
      .waitFor();
    await page.getByRole('heading', { name: 'Sign in to Gnomon' }).waitFor();
    await screenshot(page, 'oidc-no-member');
  });
});
