// The content security policy and the pages agree: on the login page and on pages of each
// role (including ones with live updates, where htmx and its SSE extension run), the browser
// reports no CSP violation and no console error. htmx, left to its defaults, injects an inline
// <style> for its request indicators, which the policy (style-src 'self') blocks on every page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, startServer, launchBrowser, newContext, login } from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('csp');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A page that records CSP violations and console errors, with where they happened. */
async function watchedPage(context) {
  const page = await context.newPage();
  const problems = [];
  // Runs before any page script, in every document of this page.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const line = `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile || 'the page'}:${e.lineNumber})`;
      (window.__cspViolations ||= []).push(line);
    });
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`${page.url()}: console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`${page.url()}: uncaught: ${err.message}`));
  /** Opens `path` (or stays) and collects what this document reported. */
  const visit = async (path) => {
    if (path) await page.goto(path);
    await page.waitForLoadState('load');
    // Give deferred scripts (htmx, the SSE extension) the moment they need to start.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
    const seen = await page.evaluate(() => window.__cspViolations || []);
    for (const v of seen) problems.push(`${page.url()}: CSP violation: ${v}`);
    await page.evaluate(() => { window.__cspViolations = []; });
  };
  return { page, problems, visit };
}

test('no CSP violations or console errors on the pages people use', { timeout: 240_000 }, async () => {
  const contexts = [];
  const problems = [];
  try {
    // Anonymous: the login page.
    const anon = await newContext(browser, server);
    contexts.push(anon);
    const a = await watchedPage(anon);
    await a.visit('/login');
    problems.push(...a.problems);

    // The client: home, messages (live updates), meetings, feedback.
    const clientContext = await newContext(browser, server, { locale: 'en-GB' });
    contexts.push(clientContext);
    const c = await watchedPage(clientContext);
    await login(c.page, DEMO.client.username, '/me');
    await c.visit();
    const clientHome = c.page.url();
    const messages = c.page.getByRole('link', { name: 'Messages', exact: true });
    await messages.click();
    await c.visit();
    const threadLink = c.page.locator('a[href*="/messages/"]').first();
    if (await threadLink.count()) {
      await threadLink.click();
      await c.visit();
    }
    await c.page.goto(clientHome);
    const meetings = c.page.getByRole('link', { name: /meetings/i }).first();
    if (await meetings.count()) {
      await meetings.click();
      await c.visit();
    }
    problems.push(...c.problems);

    // The counselor: caseload and the client's page.
    const counselorContext = await newContext(browser, server);
    contexts.push(counselorContext);
    const v = await watchedPage(counselorContext);
    await login(v.page, DEMO.counselor.username, '/caseload');
    await v.visit();
    await v.page.locator('a[href^="/clients/"]').first().click();
    await v.visit();
    problems.push(...v.problems);

    // The leader and the administrator: their homes.
    for (const who of [DEMO.leader, DEMO.admin]) {
      const ctx = await newContext(browser, server);
      contexts.push(ctx);
      const w = await watchedPage(ctx);
      await login(w.page, who.username, who.home);
      await w.visit();
      problems.push(...w.problems);
    }
  } finally {
    for (const c of contexts) await c.close();
  }
  assert.deepEqual(problems, [], `the browser reported:\n${problems.join('\n')}`);
});
