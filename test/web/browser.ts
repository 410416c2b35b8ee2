/**
 * Real-browser helpers: playwright-core driving Debian's chromium (/usr/bin/chromium, installed by
 * .ci/run). Browser tests call `describe.skipIf(!chromiumAvailable)` and `withPage(fn)`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM_PATH);
export const chromiumMissingMessage = `browser test skipped: no chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** The repository's test-artifacts/ folder (created), for screenshots kept by CI. */
export function artifactPath(name: string): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');
  mkdirSync(root, { recursive: true });
  return join(root, name);
}

export interface PageContext {
  page: Page;
  browser: Browser;
  /** Uncaught page errors and console errors seen so far. */
  errors: string[];
}

/**
 * Runs `fn` with a fresh page (1280×900) in a freshly launched chromium, and closes both after.
 * Page errors are collected in `errors` so a test can assert the page ran cleanly.
 */
export async function withPage<T>(fn: (ctx: PageContext) => Promise<T>): Promise<T> {
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
    });
    return await fn({ page, browser, errors });
  } finally {
    await browser.close();
  }
}
