// With JavaScript switched off the app still works: log in, see your home, change the language
// from the footer, open a client from the caseload, log out. Everything is plain HTML forms.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO, startServer, launchBrowser, newContext, login, pathOf, htmlLang, screenshot,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('no-javascript');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function chooseLanguage(page, code) {
  await page.locator('#language-select').selectOption(code);
  await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/language' && r.request().method() === 'POST'),
    page.locator('form[action="/language"] button[type="submit"]').click(),
  ]);
  await page.waitForLoadState('load');
}

test('a client logs in, changes language and logs out without JavaScript', { timeout: 180_000 }, async () => {
  const context = await newContext(browser, server, { javaScriptEnabled: false, locale: 'nb-NO' });
  const page = await context.newPage();
  try {
    await login(page, DEMO.client.username, '/me');
    // Scripts really are off: the page's own script (htmx) did not run.
    const htmxRan = await page.evaluate(() => typeof window.htmx !== 'undefined').catch(() => false);
    assert.equal(htmxRan, false, 'page scripts did not run');
    assert.equal(await htmlLang(page), 'nb');
    assert.match(await page.locator('h1').innerText(), /Kari Demo/);
    assert.ok(await page.locator('.demo-banner').isVisible(), 'the demo banner is shown');
    const bokmalLogout = (await page.locator('form[action="/logout"] button').innerText()).trim();

    // The footer language form: English, and it sticks across pages.
    await chooseLanguage(page, 'en');
    assert.equal(pathOf(page), '/me', 'back on my home after changing language');
    assert.equal(await htmlLang(page), 'en');
    const englishLogout = (await page.locator('form[action="/logout"] button').innerText()).trim();
    assert.notEqual(englishLogout, bokmalLogout, 'the wording changed with the language');
    await page.goto('/me/access-log');
    assert.equal(await htmlLang(page), 'en', 'the chosen language overrides the browser\'s Accept-Language');

    // Then nynorsk.
    await chooseLanguage(page, 'nn');
    assert.equal(await htmlLang(page), 'nn');
    assert.equal(await page.locator('#language-select').inputValue(), 'nn', 'the language select shows the current language');

    // Log out: back to the login page, and the home is no longer reachable.
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/login'),
      page.locator('form[action="/logout"] button[type="submit"]').click(),
    ]);
    assert.equal(await page.locator('#username').count(), 1, 'the login form is shown after logging out');
    await page.goto('/me');
    assert.equal(pathOf(page), '/login', 'after logging out /me sends to the login page');
    assert.doesNotMatch(await page.locator('body').innerText(), /Kari Demo/);
  } catch (e) {
    await screenshot(page, 'no-javascript-client-failure');
    throw e;
  } finally {
    await context.close();
  }
});

test('a counselor opens a client from the caseload without JavaScript', { timeout: 120_000 }, async () => {
  const context = await newContext(browser, server, { javaScriptEnabled: false, locale: 'en-GB' });
  const page = await context.newPage();
  try {
    await login(page, DEMO.counselor.username, '/caseload');
    assert.equal(await htmlLang(page), 'en');
    await Promise.all([
      page.waitForURL(/\/clients\/[^/]+$/),
      page.getByRole('link', { name: 'Kari Demo', exact: true }).click(),
    ]);
    assert.equal((await page.locator('h1').innerText()).trim(), 'Kari Demo');
  } catch (e) {
    await screenshot(page, 'no-javascript-counselor-failure');
    throw e;
  } finally {
    await context.close();
  }
});

test('a client works on the plan without JavaScript', { timeout: 180_000 }, async () => {
  const context = await newContext(browser, server, { javaScriptEnabled: false, locale: 'en-GB' });
  const page = await context.newPage();
  const send = async (button) => {
    await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), button.click()]);
    await page.waitForLoadState('load');
  };
  try {
    await login(page, DEMO.client.username, '/me');
    // A goal, with a date out of range first: the error is shown and the text kept.
    await page.locator('#text').fill('Drive a forklift');
    await page.locator('#target_date').fill('2207-01-01');
    await send(page.getByRole('button', { name: 'Add goal' }));
    assert.match(await page.locator('[role="alert"]').innerText(), /between the years 2000 and 2100/);
    assert.equal(await page.locator('#text').inputValue(), 'Drive a forklift');
    await page.locator('#target_date').fill('2027-06-01');
    await send(page.getByRole('button', { name: 'Add goal' }));
    await page.getByText('Drive a forklift', { exact: true }).waitFor();

    // The kind of activity is chosen by links, so the form fits the kind without scripts.
    await page.getByRole('link', { name: 'Propose a new activity' }).click();
    await page.getByRole('link', { name: 'Job application', exact: true }).click();
    assert.equal(await page.locator('#employer').count(), 1, 'a job application asks for the employer');
    await page.locator('#title').fill('Forklift driver at Demo Lager');
    await page.locator('#employer').fill('Demo Lager (invented)');
    await page.locator('#goal_id').selectOption({ label: 'Drive a forklift' });
    await send(page.getByRole('button', { name: 'Propose activity' }));
    assert.match(pathOf(page), /\/activities\//);
    assert.match(await page.locator('main').innerText(), /Waiting for the counselor/);

    // Say no to the measure the counselor suggested, with a reason.
    await page.goto('/me');
    await page.locator('section[aria-labelledby="waiting-heading"] a', { hasText: 'Jobbklubb' }).click();
    assert.match(await page.locator('main').innerText(), /What saying no means/);
    await page.locator('#decline-reason').fill('I would rather try the bakery first.');
    await send(page.getByRole('button', { name: 'Say no to this' }));
    const after = await page.locator('main').innerText();
    assert.match(after, /Cancelled/);
    assert.match(after, /I would rather try the bakery first\./);
  } catch (e) {
    await screenshot(page, 'no-javascript-plan-failure');
    throw e;
  } finally {
    await context.close();
  }
});
