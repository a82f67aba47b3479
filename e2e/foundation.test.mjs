// The foundation as a user meets it: the server is up, the login page is in bokmål and styled,
// a client sees their own home, a counselor opens that client from the caseload, the client then
// sees the counselor in "who looked at my case", and staff outside the client's office get 404.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO, startServer, launchBrowser, newContext, login, pathOf, htmlLang, screenshot,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('foundation');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('GET /healthz answers 200 ok', { timeout: 30_000 }, async () => {
  const res = await fetch(`${server.baseURL}/healthz`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  assert.equal((await res.text()).trim(), 'ok');
});

test('the login page is in bokmål and its stylesheets are served as CSS', { timeout: 90_000 }, async () => {
  // Without Accept-Language the default language is bokmål.
  const plain = await fetch(`${server.baseURL}/login`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(plain.status, 200);
  assert.match(await plain.text(), /<html[^>]*\slang="nb"/, 'default language is nb');

  const context = await newContext(browser, server, { locale: 'nb-NO' });
  try {
    const page = await context.newPage();
    const res = await page.goto('/login');
    assert.equal(res.status(), 200);
    assert.equal(await htmlLang(page), 'nb');
    await page.locator('#username').waitFor({ state: 'visible' });
    await page.locator('#password').waitFor({ state: 'visible' });
    assert.equal(await page.locator('form[action="/login"] input[name="csrf_token"]').count(), 1, 'login form carries a CSRF token');
    await page.locator('.demo-banner').waitFor({ state: 'visible' });

    const hrefs = await page.locator('link[rel="stylesheet"]').evaluateAll((links) => links.map((l) => l.href));
    assert.ok(hrefs.length > 0, 'the page links at least one stylesheet');
    for (const href of hrefs) {
      const css = await context.request.get(href);
      assert.equal(css.status(), 200, `${href} status`);
      assert.match(css.headers()['content-type'] ?? '', /^text\/css/, `${href} content type`);
      assert.ok((await css.body()).length > 0, `${href} is not empty`);
    }
    // The styles apply: the body's default margin is gone and the skip link is out of sight
    // until it gets focus.
    assert.equal(await page.locator('body').evaluate((b) => getComputedStyle(b).marginTop), '0px');
    const skipHidden = await page.locator('a.ds-skip-link').evaluate((a) => {
      const r = a.getBoundingClientRect();
      return r.right <= 0 || r.bottom <= 0 || r.width <= 1 || r.height <= 1;
    });
    assert.ok(skipHidden, 'the skip link is visually hidden until focused');
  } finally {
    await context.close();
  }
});

test('a counselor opens their client, the client sees it in the access log, other staff get 404', { timeout: 240_000 }, async () => {
  const contexts = [];
  const open = async () => {
    const c = await newContext(browser, server, { locale: 'nb-NO' });
    contexts.push(c);
    return c.newPage();
  };
  try {
    // The client: their own home, with the demo banner.
    const client = await open();
    await login(client, DEMO.client.username, '/me');
    await client.locator('.demo-banner').waitFor({ state: 'visible' });
    assert.match(await client.locator('h1').innerText(), /Kari Demo/);
    assert.match(await client.locator('main').innerText(), /Vera Veileder/, 'the client sees who their counselor is');

    // Before the counselor has looked, the access log has no "looked at your plan" line from
    // her (the demo data has her earlier changes to the plan, which are listed too).
    await client.goto('/me/access-log');
    assert.equal(pathOf(client), '/me/access-log');
    const looked = () => client.locator('table tbody tr', { hasText: 'Vera Veileder' }).filter({ hasText: 'Så på planen din' });
    assert.equal(await looked().count(), 0, 'Vera has not looked yet');

    // The counselor: caseload, then the client's page.
    const counselor = await open();
    await login(counselor, DEMO.counselor.username, '/caseload');
    await counselor.locator('.demo-banner').waitFor({ state: 'visible' });
    const link = counselor.getByRole('link', { name: 'Kari Demo', exact: true });
    assert.equal(await link.count(), 1, 'Kari Demo is on the caseload once');
    await Promise.all([counselor.waitForURL(/\/clients\/[^/]+$/), link.click()]);
    const clientPath = pathOf(counselor);
    assert.match(clientPath, /^\/clients\/[^/]+$/);
    assert.equal((await counselor.locator('h1').innerText()).trim(), 'Kari Demo');

    // The client now sees the counselor's name in the access log.
    await client.goto('/me/access-log');
    assert.equal(await looked().count(), 1, 'the access log lists Vera Veileder once after she opened the case');

    // A counselor at the other office, and a leader: the client does not exist for them.
    for (const who of [DEMO.otherOfficeCounselor, DEMO.leader]) {
      const page = await open();
      await login(page, who.username, who.home);
      const res = await page.goto(clientPath);
      assert.equal(res.status(), 404, `${who.username} gets 404 for another office's client`);
      assert.doesNotMatch(await page.locator('body').innerText(), /Kari Demo/, `${who.username} does not see the name`);
    }

    // Anonymous: sent to the login page, no name.
    const anonymous = await open();
    await anonymous.goto(clientPath);
    assert.equal(pathOf(anonymous), '/login');
    assert.doesNotMatch(await anonymous.locator('body').innerText(), /Kari Demo/);
  } catch (e) {
    for (const [i, c] of contexts.entries()) {
      for (const p of c.pages()) await screenshot(p, `foundation-failure-${i}`);
    }
    throw e;
  } finally {
    for (const c of contexts) await c.close();
  }
});
