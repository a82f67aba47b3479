// Shared support for the browser tests: a real server (the debug binary, a fresh SQLite file,
// demo data), Debian's Chromium driven by playwright-core, and axe.
//
// Nothing here downloads a browser: Chromium comes from the system (scripts/test installs it).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ARTIFACTS = join(REPO_ROOT, 'e2e', '.artifacts');

export const DEMO_PASSWORD = 'vendepunkt-demo';
export const DEMO = {
  client: { username: 'demo-client', name: 'Kari Demo', home: '/me' },
  counselor: { username: 'demo-counselor', name: 'Vera Veileder', home: '/caseload' },
  // Same office as demo-counselor, holds the permission for protected clients.
  protectedCounselor: { username: 'demo-counselor-2', name: 'Petter Pedersen', home: '/caseload' },
  // The other office.
  otherOfficeCounselor: { username: 'demo-counselor-3', name: 'Hanne Holm', home: '/caseload' },
  leader: { username: 'demo-leader', name: 'Liv Leder', home: '/insights' },
  admin: { username: 'demo-admin', name: 'Ada Administrator', home: '/admin' },
};

/** Browser locale (sent as Accept-Language) and the `<html lang>` the app must answer with. */
export const LANGUAGES = [
  { locale: 'nb-NO', lang: 'nb' },
  { locale: 'nn-NO', lang: 'nn' },
  { locale: 'en-GB', lang: 'en' },
];

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

// Logins verify an Argon2id hash with production parameters in a debug build; allow for it.
const ACTION_TIMEOUT_MS = 20_000;
const NAVIGATION_TIMEOUT_MS = 45_000;
const SERVER_START_TIMEOUT_MS = 60_000;
const SERVER_STOP_TIMEOUT_MS = 10_000;

export function binaryPath() {
  if (process.env.VENDEPUNKT_BIN) return resolve(process.env.VENDEPUNKT_BIN);
  const target = process.env.CARGO_TARGET_DIR
    ? resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR)
    : join(REPO_ROOT, 'target');
  return join(target, 'debug', 'vendepunkt');
}

/**
 * Starts `vendepunkt serve --demo` on a free port with a fresh SQLite database and resolves
 * once it prints its address. `name` labels the log file under e2e/.artifacts.
 *
 * Options (for restarting on the same database): `dir`, a directory from an earlier server
 * whose database is used again (it is then left for the caller to remove); `args`, more
 * arguments for `serve` (e.g. `--clock-shift-days`).
 */
export async function startServer(name, options = {}) {
  const bin = binaryPath();
  if (!existsSync(bin)) {
    throw new Error(`${bin} does not exist: build it first with \`cargo build -p vendepunkt\``);
  }
  const ownDir = !options.dir;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'vendepunkt-e2e-'));
  const database = `sqlite://${join(dir, 'e2e.sqlite')}`;
  // A clean environment: no configuration from the developer's shell or a vendepunkt.toml.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('VENDEPUNKT_')),
  );
  env.RUST_LOG = env.RUST_LOG ?? 'info';
  const child = spawn(
    bin,
    ['serve', '--demo', '--addr', '127.0.0.1:0', '--database', database, ...(options.args ?? [])],
    { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = [];
  const remember = (chunk) => log.push(chunk.toString());
  child.stdout.on('data', remember);
  child.stderr.on('data', remember);

  const baseURL = await new Promise((resolveUrl, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`server did not print its address within ${SERVER_START_TIMEOUT_MS} ms:\n${log.join('')}`));
    }, SERVER_START_TIMEOUT_MS);
    const onData = (chunk) => {
      seen += chunk.toString();
      const m = seen.match(/Vendepunkt is listening on (http:\/\/\S+)/);
      if (m) {
        cleanup();
        resolveUrl(m[1].replace(/\/$/, ''));
      }
    };
    const onExit = (code, signal) => {
      cleanup();
      reject(new Error(`server exited before listening (code ${code}, signal ${signal}):\n${log.join('')}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout.on('data', onData);
    child.on('exit', onExit);
  });

  return {
    baseURL,
    child,
    dir,
    database,
    log,
    /** Stops the server; `keep: true` leaves its database for a restart. */
    async stop({ keep = false } = {}) {
      await stopProcess(child);
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(join(ARTIFACTS, `${name}-server.log`), log.join(''));
      if (ownDir && !keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise((r) => setTimeout(() => r(true), SERVER_STOP_TIMEOUT_MS).unref()),
  ]);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

/** A browser context against the server, with bounded waits. */
export async function newContext(browser, server, options = {}) {
  const context = await browser.newContext({
    baseURL: server.baseURL,
    locale: 'nb-NO',
    ...options,
  });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  return context;
}

/** Fills and submits the login form as the keyboard-free user would; returns after the answer loads. */
export async function submitLogin(page, username, password = DEMO_PASSWORD) {
  await page.goto('/login');
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  const answer = page.waitForResponse(
    (r) => new URL(r.url()).pathname === '/login' && r.request().method() === 'POST',
  );
  await page.locator('form[action="/login"] button[type="submit"]').click();
  const response = await answer;
  await page.waitForLoadState('load');
  return response;
}

/** Logs in and asserts that the user lands on `expectedPath` (their role home). */
export async function login(page, username, expectedPath, password = DEMO_PASSWORD) {
  const response = await submitLogin(page, username, password);
  const path = new URL(page.url()).pathname;
  if (path !== expectedPath) {
    const heading = await page.locator('h1').allInnerTexts().catch(() => []);
    const alert = await page.locator('[role="alert"]').allInnerTexts().catch(() => []);
    const origin = await response.request().headerValue('origin').catch(() => null);
    assert.fail(
      `login as ${username} landed on ${path}, expected ${expectedPath}: POST /login answered ${response.status()}` +
        ` (h1 ${JSON.stringify(heading)}, alert ${JSON.stringify(alert)}, request Origin header ${JSON.stringify(origin)})`,
    );
  }
}

export function pathOf(page) {
  return new URL(page.url()).pathname;
}

export async function htmlLang(page) {
  return page.locator('html').getAttribute('lang');
}

/** Formats axe violations so a failing run says what, where and why. */
export function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .slice(0, 6)
        .map((n) => `      - ${n.target.join(' ')}\n        ${(n.failureSummary || '').replace(/\n/g, '\n        ')}\n        html: ${n.html.slice(0, 200)}`)
        .join('\n');
      const more = v.nodes.length > 6 ? `\n      … and ${v.nodes.length - 6} more` : '';
      return `  [${v.impact}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes}${more}`;
    })
    .join('\n');
}

/** Runs axe (WCAG 2.1 A and AA) on the current page and fails on any violation. */
export async function expectNoAxeViolations(page, label) {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  if (results.violations.length > 0) {
    assert.fail(
      `axe found ${results.violations.length} violation(s) on ${label} (${page.url()}):\n${formatViolations(results.violations)}`,
    );
  }
}

/** Saves a screenshot under e2e/.artifacts to help read a failure; never throws. */
export async function screenshot(page, name) {
  try {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `${name.replace(/[^a-z0-9-]+/gi, '_')}.png`), fullPage: true });
  } catch {
    // best effort only
  }
}
