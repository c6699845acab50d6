// Real Chromium (Debian's, driven by playwright-core) for the dashboard's browser tests: a
// page per signed-in person, the console and page errors each page reports, and screenshots.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = process.env.GNOMON_CHROMIUM ?? '/usr/bin/chromium';
const root = path.resolve(__dirname, '../../..');
const repositoryRoot = existsSync(path.join(root, 'tools/start.mjs'))
  ? root
  : path.resolve(root, '..'); // compiled into dist/test/browser/support
export const SCREENSHOTS = path.join(repositoryRoot, 'test-results/screenshots');
const DOC_IMAGES = path.join(repositoryRoot, 'docs/images/dashboard');

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'] });
}

/** One person at one browser: their page, and every error the browser reported for it. */
export interface Visitor {
  context: BrowserContext;
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

export async function openVisitor(browser: Browser, baseURL: string): Promise<Visitor> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1360, height: 900 },
    // The secret's copy button writes to the clipboard.
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  // A step that does not happen within this fails the test with what the page showed.
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const errors: string[] = [];
  watch(page, errors);
  context.on('page', (opened) => watch(opened, errors));
  return { context, page, errors, close: () => context.close() };
}

function watch(page: Page, errors: string[]): void {
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${page.url()})`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message} (${page.url()})`));
}

/**
 * Saves a screenshot under test-results/screenshots; with `doc`, also as the documentation's
 * image of that page (docs/images/dashboard) when GNOMON_UPDATE_DOC_SCREENSHOTS=1.
 */
export async function screenshot(page: Page, name: string, doc = false): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (doc && process.env.GNOMON_UPDATE_DOC_SCREENSHOTS === '1') {
    mkdirSync(DOC_IMAGES, { recursive: true });
    copyFileSync(file, path.join(DOC_IMAGES, `${name}.png`));
  }
}
