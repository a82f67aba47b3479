// Client feedback as the two people meet it, in two browser contexts: Kari (demo-client) has
// an open invitation after her meeting; she answers with the keyboard only (Tab into each
// scale, arrow keys to choose, Tab on) and shares the answer with her counselor. Vera
// (demo-counselor) sees the trend as a table and accessible charts, the prompt to talk, and
// records the talk; Kari reads the note. axe on every page; the form fits a 320 px phone and
// works without JavaScript.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO, startServer, launchBrowser, newContext, login, pathOf, expectNoAxeViolations, screenshot,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('feedback');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Presses Tab until the focused element satisfies `test` (at most `max` times). */
async function tabTo(page, test, what, max = 60) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(test)) return;
  }
  assert.fail(`could not reach ${what} with Tab`);
}

test('the client answers after a meeting by keyboard and shares; the counselor sees the trend and the prompt and records the talk', { timeout: 300_000 }, async () => {
  const clientContext = await newContext(browser, server, { locale: 'en-GB' });
  const counselorContext = await newContext(browser, server, { locale: 'en-GB' });
  const kari = await clientContext.newPage();
  const vera = await counselorContext.newPage();
  try {
    await login(kari, DEMO.client.username, DEMO.client.home);
    // From the plan to the feedback page, then the invitation's link, by keyboard.
    await tabTo(kari, () => document.activeElement?.getAttribute('href') === '/me/feedback', 'the feedback link');
    await Promise.all([kari.waitForURL((u) => u.pathname === '/me/feedback'), kari.keyboard.press('Enter')]);
    const invitation = kari.locator('#feedback-invitation');
    assert.match(await invitation.innerText(), /You had a meeting with your counselor/);
    await expectNoAxeViolations(kari, 'client: feedback page with invitation');
    await tabTo(kari, () => document.activeElement?.textContent?.trim() === 'Answer now', 'Answer now');
    await Promise.all([kari.waitForURL((u) => u.pathname === '/me/feedback/new'), kari.keyboard.press('Enter')]);
    await expectNoAxeViolations(kari, 'client: feedback form');

    // Six scales: Tab lands on the checked "Skip"; ArrowLeft moves to 10, 9, … (11 − v presses).
    const wanted = [3, 6, 5, 4, 6, 5];
    await tabTo(kari, () => document.activeElement?.getAttribute('name') === 'item-relation', 'the first scale');
    for (const [n, v] of wanted.entries()) {
      for (let i = 0; i < 11 - v; i += 1) await kari.keyboard.press('ArrowLeft');
      const focused = await kari.evaluate(() => ({ name: document.activeElement.name, value: document.activeElement.value, checked: document.activeElement.checked }));
      assert.deepEqual(focused.value, String(v), `item ${n + 1} is at ${v}`);
      assert.ok(focused.checked);
      await kari.keyboard.press('Tab');
    }
    // The two optional questions.
    assert.equal(await kari.evaluate(() => document.activeElement.id), 'text-helped-most');
    await kari.keyboard.type('That Vera listens.');
    await kari.keyboard.press('Tab');
    assert.equal(await kari.evaluate(() => document.activeElement.id), 'text-make-better');
    await kari.keyboard.type('Tell me <sooner> what happens.');
    // The sharing choice (remembered from last time: yes); make sure with Space.
    await kari.keyboard.press('Tab');
    assert.equal(await kari.evaluate(() => document.activeElement.name), 'share');
    if (await kari.evaluate(() => document.activeElement.value) !== 'yes') await kari.keyboard.press('ArrowUp');
    await kari.keyboard.press('Space');
    assert.ok(await kari.locator('#share-yes').isChecked());
    await kari.keyboard.press('Tab');
    assert.equal(await kari.evaluate(() => document.activeElement.getAttribute('type')), 'submit');
    await Promise.all([kari.waitForURL((u) => u.pathname === '/me/feedback'), kari.keyboard.press('Enter')]);
    assert.match(await kari.locator('#feedback-notice').innerText(), /Your answer is saved/);
    assert.equal(await kari.locator('#feedback-invitation').count(), 0, 'the invitation is closed');
    const latest = kari.locator('.feedback-response').first();
    assert.match(await latest.innerText(), /Shared with your counselor/);
    assert.match(await latest.innerText(), /Tell me <sooner> what happens\./);
    await expectNoAxeViolations(kari, 'client: feedback page after answering');

    // Vera: from the caseload to Kari, to her feedback.
    await login(vera, DEMO.counselor.username, DEMO.counselor.home);
    await vera.getByRole('link', { name: 'Kari Demo', exact: true }).click();
    await vera.waitForLoadState('load');
    await vera.locator('nav.plan-links a', { hasText: 'Feedback' }).click();
    await vera.waitForLoadState('load');
    assert.match(pathOf(vera), /^\/clients\/[0-9a-f-]+\/feedback$/);
    assert.match(await vera.locator('#feedback-prompt').innerText(), /Talk with Kari about how your cooperation is going/);
    assert.equal(await vera.locator('svg[role="img"]').count(), 6, 'a chart per theme');
    const rows = vera.locator('#feedback-table tbody tr');
    assert.equal(await rows.count(), 4, 'three earlier shared answers and today\'s');
    assert.deepEqual(
      (await rows.first().locator('td').allInnerTexts()).map((s) => s.trim()),
      ['3', '6', '5', '4', '6', '5'],
    );
    assert.match(await vera.locator('#chart-relation-summary').innerText(), /Latest 3 of 10/);
    assert.match(await vera.locator('main').innerText(), /Tell me <sooner> what happens\./);
    await expectNoAxeViolations(vera, 'counselor: shared feedback with prompt');

    await vera.locator('#talk').fill('We talked about the waiting. I will call on Mondays.');
    await Promise.all([
      vera.waitForResponse((r) => r.request().method() === 'POST'),
      vera.locator('form[action$="/feedback/talks"] button[type="submit"]').click(),
    ]);
    await vera.waitForLoadState('load');
    assert.equal(await vera.locator('#feedback-prompt').count(), 0, 'the prompt is answered');
    assert.match(await vera.locator('#talk-notes').innerText(), /I will call on Mondays/);

    // Kari reads the note.
    await kari.goto('/me/feedback');
    assert.match(await kari.locator('#talk-notes').innerText(), /I will call on Mondays\.\s+Vera Veileder/);
  } catch (e) {
    await screenshot(kari, 'feedback-client');
    await screenshot(vera, 'feedback-counselor');
    throw e;
  } finally {
    await clientContext.close();
    await counselorContext.close();
  }
});

test('the feedback form fits a 320 px phone', { timeout: 120_000 }, async () => {
  const context = await newContext(browser, server, { locale: 'nb-NO', viewport: { width: 320, height: 640 } });
  const page = await context.newPage();
  try {
    await login(page, DEMO.client.username, DEMO.client.home);
    await page.goto('/me/feedback/new');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 320, `the form is ${width} px wide`);
    await expectNoAxeViolations(page, 'client: feedback form at 320 px [nb]');
  } catch (e) {
    await screenshot(page, 'feedback-narrow');
    throw e;
  } finally {
    await context.close();
  }
});

test('the feedback form works without JavaScript', { timeout: 120_000 }, async () => {
  const context = await newContext(browser, server, { locale: 'nn-NO', javaScriptEnabled: false });
  const page = await context.newPage();
  try {
    await login(page, DEMO.client.username, DEMO.client.home);
    await page.goto('/me/feedback/new');
    await page.locator('label[for="item-relation-8"]').click();
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.locator('form.feedback-form button[type="submit"]').click(),
    ]);
    await page.waitForLoadState('load');
    assert.equal(pathOf(page), '/me/feedback');
    assert.match(await page.locator('#feedback-notice').innerText(), /Takk/);
  } catch (e) {
    await screenshot(page, 'feedback-no-js');
    throw e;
  } finally {
    await context.close();
  }
});
