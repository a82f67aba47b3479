// How we keep in touch, in two browser contexts: the client proposes SMS notices and quiet
// hours from the plan's link, the counselor sees the proposal and confirms it, and publishes
// contact hours the client then sees. axe on every page, in English and nynorsk.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO, startServer, launchBrowser, newContext, login, expectNoAxeViolations,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('contact');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function submit(page, button) {
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    button.click(),
  ]);
  await page.waitForLoadState('load');
}

test('the client proposes, the counselor confirms, both see the agreement', { timeout: 300_000 }, async () => {
  const contexts = [];
  const open = async (locale) => {
    const c = await newContext(browser, server, { locale });
    contexts.push(c);
    return c.newPage();
  };
  try {
    const client = await open('en-GB');
    await login(client, DEMO.client.username, '/me');
    await client.getByRole('link', { name: 'How we keep in touch', exact: true }).click();
    await client.waitForLoadState('load');
    const contactPath = new URL(client.url()).pathname;
    assert.match(contactPath, /^\/clients\/[^/]+\/contact$/);
    await expectNoAxeViolations(client, 'client: contact, empty');
    await client.locator('#sms_notices').check();
    await client.locator('#phone').fill('12');
    await submit(client, client.getByRole('button', { name: 'Send suggestion' }));
    assert.match(await client.locator('main').innerText(), /Mobile number/);
    await expectNoAxeViolations(client, 'client: contact, field error');
    await client.locator('#phone').fill('999 99 999');
    await client.locator('#quiet_start').fill('22:00');
    await client.locator('#quiet_end').fill('07:00');
    await submit(client, client.getByRole('button', { name: 'Send suggestion' }));
    assert.match(await client.locator('main').innerText(), /Waiting for the counselor to confirm/);

    const counselor = await open('nn-NO');
    await login(counselor, DEMO.counselor.username, '/caseload');
    await counselor.goto(contactPath);
    assert.match(await counselor.locator('main').innerText(), /\+4799999999/);
    await expectNoAxeViolations(counselor, 'counselor: contact (nn)');
    await submit(counselor, counselor.getByRole('button', { name: 'Godta avtalen' }));
    assert.match(await counselor.locator('main').innerText(), /De har båe godteke avtalen/);

    await counselor.goto('/account/availability');
    await expectNoAxeViolations(counselor, 'counselor: availability (nn)');
    await counselor.locator('#contact_hours').fill('Måndag til torsdag 9–15');
    await counselor.locator('#ch-phone').check();
    await submit(counselor, counselor.getByRole('button', { name: 'Publiser' }));

    await client.goto(contactPath);
    const text = await client.locator('main').innerText();
    assert.match(text, /Agreed by both of you/);
    assert.match(text, /Måndag til torsdag 9–15/);
    await expectNoAxeViolations(client, 'client: contact, agreed');
  } finally {
    for (const c of contexts) await c.close();
  }
});
