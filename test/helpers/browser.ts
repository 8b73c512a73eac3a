import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/** The Debian Chromium the browser tests drive (`make chromium` installs it). */
export const CHROMIUM_PATH = process.env.ZEROOPS_CHROMIUM ?? '/usr/bin/chromium';

/** Where screenshots go (gitignored test artefacts). */
export const SCREENSHOT_DIR = join(import.meta.dirname, '../../test-results/web');

/**
 * Launches headless Chromium. Fails loudly, saying how to install it, when the
 * binary is missing: the browser tests never skip.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: run \`make chromium\` (apt-get install chromium), then run the tests again`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Saves a full-page screenshot as test-results/web/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Signs in through the UI's login form with `token` (the UI keeps it in sessionStorage). */
export async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(base);
  await page.fill('input[name=token]', token);
  await page.click('.login button[type=submit]');
  await page.waitForSelector('nav.top .role');
}
